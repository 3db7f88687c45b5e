"""Tests of llmdata.pack, llmdata.filter and llmdata.pipeline.  Expected packing is computed here
in plain Python from the documented rules (pack.h): greedy = concatenation of ids + [EOS] cut every
seq_len tokens, remainder dropped; best-fit keeps every token once, splits only documents longer
than seq_len.  Pipeline ids: npm tiktoken 1.0.22 gpt2 encode_ordinary (pasted)."""
import json
import os
import random
import sys
import tempfile
import unittest

import numpy as np

import llmdata
from llmdata import LlmdError, Packer, QualityFilter, pack_documents, run_pipeline

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))
ROOT = os.path.abspath(os.path.join(SRC, ".."))
GPT2 = os.path.join(ROOT, "examples", "data", "gpt2-tokenizer.json")


def random_docs(seed, n, max_len):
    r = random.Random(seed)
    return [[r.randrange(1, 1000) for _ in range(r.randrange(0, max_len))] for _ in range(n)]


class PackTest(unittest.TestCase):
    def test_greedy_matches_reference(self):
        docs = random_docs(1, 300, 200)
        arr, wins, st = pack_documents(docs, seq_len=64, eos_id=0)
        stream = [t for d in docs for t in d + [0]]
        full = len(stream) // 64
        self.assertEqual(arr.shape, (full, 64))
        self.assertEqual(arr.reshape(-1).tolist(), stream[:full * 64])
        self.assertEqual(st.dropped_tokens, len(stream) - full * 64)
        for w in wins:   # boundaries: segments tile the window, positions restart per segment
            self.assertEqual(int(w.cu_seqlens[0]), 0)
            self.assertEqual(int(w.cu_seqlens[-1]), 64)
            for k in range(len(w.cu_seqlens) - 1):
                a, b = int(w.cu_seqlens[k]), int(w.cu_seqlens[k + 1])
                self.assertEqual(w.position_ids[a:b].tolist(), list(range(b - a)))

    def test_best_fit_keeps_every_token_once(self):
        docs = random_docs(2, 400, 150)
        arr, wins, st = pack_documents(docs, seq_len=64, eos_id=0, pad_id=999, strategy="best-fit", buffer_windows=8)
        self.assertEqual(arr.shape[1], 64)
        got = {}
        for w in wins:
            for k, d in enumerate(w.docs.tolist()):
                a, b = int(w.cu_seqlens[k]), int(w.cu_seqlens[k + 1])
                got.setdefault(d, []).append(w.tokens[a:b].tolist())
        for i, d in enumerate(docs):
            pieces = got.get(i, [])
            self.assertEqual(sorted(t for p in pieces for t in p), sorted(d + [0]), i)
            if len(d) + 1 <= 64:
                self.assertEqual(pieces, [d + [0]], i)          # short documents are never cut
        greedy = pack_documents(docs, seq_len=64, eos_id=0)[2]
        self.assertLess(st.docs_truncated, greedy.docs_truncated)

    def test_errors(self):
        with self.assertRaises(LlmdError):
            Packer(seq_len=0)
        with self.assertRaises(LlmdError):
            Packer(strategy="nope")
        p = Packer(seq_len=4, vocab_size=10)
        with self.assertRaises(LlmdError) as cm:
            p.add([1, 2, 30])
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_RANGE")


class FilterTest(unittest.TestCase):
    def test_rules(self):
        f = QualityFilter()
        good = ("The committee met on Tuesday to review the budget and the plans for the new library. " * 3 +
                "\nIt was agreed that the work should start in the spring, and that the town would pay for it.\n") * 4
        r = f.apply(good)
        self.assertTrue(r.keep, r)
        r = f.apply("lorem ipsum dolor sit amet. " * 30)
        self.assertEqual((r.keep, r.reason), (False, "c4_lorem_ipsum"))
        self.assertFalse(QualityFilter(min_bytes=10 ** 6).apply(good).keep)
        self.assertIn("gopher_stop_words", llmdata.filter_rules())


class PipelineTest(unittest.TestCase):
    def test_run(self):
        with tempfile.TemporaryDirectory() as d:
            inp = os.path.join(d, "in.jsonl")
            with open(inp, "w", encoding="utf-8") as f:
                for t in ["Hello world! café", "It's 2024, isn't it?", "tab\tand\nnewline", "東京 🇫🇷"]:
                    f.write(json.dumps({"text": t}) + "\n")
            rep = run_pipeline([inp], tokenizer=GPT2, seq_len=8, out=os.path.join(d, "o"), filter=False,
                               clean=False, redact=False, exact_dedup=False, near_dedup=False, format="npy")
            self.assertEqual(rep["stages"]["pack"]["windows"], 4)
            a = np.load(os.path.join(d, "o", "data.npy"))
            self.assertEqual(a.reshape(-1).tolist()[:8], [15496, 995, 0, 40304, 50256, 1026, 338, 48609])
            with self.assertRaises(LlmdError) as cm:
                run_pipeline([inp], tokenizer=GPT2, out=os.path.join(d, "x"))     # no seq_len
            self.assertIn("seq_len", str(cm.exception))
            with self.assertRaises(LlmdError) as cm:
                run_pipeline([inp], tokenizer=GPT2, seq_len=8, out=os.path.join(d, "y"), no_such_setting=1)
            self.assertIn("no_such_setting", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
