"""Tests of llmdata.tokenizer.  Expected ids come from npm tiktoken 1.0.22 (gpt2 encode_ordinary)
and, for the component-rich fixtures, from Hugging Face tokenizers 0.23 via
tests/data/tokenizer/cases.jsonl (tests/tokenizer/make_component_cases.mjs)."""
import json
import os
import threading
import unittest

import numpy as np

import llmdata
from llmdata import LlmdError, Tokenizer

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))
ROOT = os.path.abspath(os.path.join(SRC, ".."))
GPT2 = os.path.join(ROOT, "examples", "data", "gpt2-tokenizer.json")


class GPT2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tok = Tokenizer(GPT2)

    def test_known_ids(self):
        # tiktoken gpt2 encode_ordinary
        self.assertEqual(self.tok.encode("Hello world! café"), [15496, 995, 0, 40304])
        self.assertEqual(self.tok.encode("It's 2024, isn't it?"), [1026, 338, 48609, 11, 2125, 470, 340, 30])
        self.assertEqual(self.tok.encode("a<|endoftext|>"), [64, 50256])
        self.assertEqual(self.tok.encode("a<|endoftext|>", special_as_text=True), [64, 27, 91, 437, 1659, 5239, 91, 29])
        self.assertEqual(self.tok.encode(""), [])

    def test_numpy_and_offsets(self):
        a = self.tok.encode("Hello world! café", numpy=True)
        self.assertEqual(a.dtype, np.uint32)
        self.assertEqual(a.tolist(), [15496, 995, 0, 40304])
        ids, offs = self.tok.encode("Hello world! café", offsets=True)
        self.assertEqual(offs, [(0, 5), (5, 11), (11, 12), (12, 18)])
        ids, offs = self.tok.encode("Hello", offsets=True, numpy=True)
        self.assertEqual(offs.shape, (1, 2))

    def test_batch(self):
        texts = ["Hello world! café", "", "東京 🇫🇷", "It's 2024, isn't it?"] * 50
        for threads in (1, 2, 0):
            ids, offs = self.tok.encode_batch(texts, threads=threads)
            self.assertEqual(ids.dtype, np.uint32)
            self.assertEqual(len(offs), len(texts) + 1)
            for i, t in enumerate(texts[:4]):
                self.assertEqual(ids[offs[i]:offs[i + 1]].tolist(), self.tok.encode(t))

    def test_decode_and_lookups(self):
        text = "naïve café 東京 👩‍👩‍👧 \r\n  spaces\u00a0nbsp"
        self.assertEqual(self.tok.decode(self.tok.encode(text)), text)
        self.assertEqual(self.tok.decode(np.array([64, 50256], dtype=np.uint32)), "a<|endoftext|>")
        self.assertEqual(self.tok.decode([64, 50256], skip_special_tokens=True), "a")
        self.assertEqual(self.tok.vocab_size, 50257)
        self.assertEqual(self.tok.eos_id, 50256)
        self.assertTrue(self.tok.is_special(50256))
        self.assertEqual(self.tok.token_to_id("\u0120world"), 995)
        self.assertIsNone(self.tok.token_to_id("no-such-token-xyz"))
        self.assertEqual(self.tok.id_to_token(15496), "Hello")

    def test_errors(self):
        with self.assertRaises(LlmdError) as cm:
            self.tok.decode([50257])
        self.assertIn("not in the vocabulary", str(cm.exception))
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_RANGE")
        with self.assertRaises(OverflowError):
            self.tok.decode([-1])
        with self.assertRaises(LlmdError) as cm:
            self.tok.encode(b"ok\xff")
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_UTF8")
        with self.assertRaises(LlmdError) as cm:
            Tokenizer("/nonexistent/tokenizer.json")
        self.assertIn("/nonexistent/tokenizer.json", str(cm.exception))

    def test_threads_share_one_tokenizer(self):
        want = self.tok.encode("Hello world! café " * 20)
        bad = []

        def work():
            for _ in range(200):
                if self.tok.encode("Hello world! café " * 20) != want:
                    bad.append(1)

        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(bad, [])


class HuggingFaceCasesTest(unittest.TestCase):
    def test_component_cases(self):
        path = os.path.join(SRC, "data", "tokenizer", "cases.jsonl")
        toks = {}
        n = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                c = json.loads(line)
                name = c["tokenizer"]
                if name not in toks:
                    toks[name] = Tokenizer(os.path.join(SRC, "data", "tokenizer", name + ".json"))
                t = toks[name]
                self.assertEqual(t.encode(c["text"], add_special_tokens=c["add_special"]), c["ids"], (name, c["text"]))
                self.assertEqual(t.decode(c["ids"]), c["decoded"], (name, c["text"]))
                n += 1
        self.assertGreater(n, 200)


if __name__ == "__main__":
    unittest.main()
