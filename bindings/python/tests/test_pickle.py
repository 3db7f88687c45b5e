"""Every handle type pickles by its constructor arguments (files by path, an LSH index by its saved
bytes) and the unpickled object gives the same results -- what multiprocessing / Dask workers need.
Stateful objects that cannot be rebuilt from their arguments refuse with TypeError once they hold
state, rather than arrive empty."""
import multiprocessing
import os
import pickle
import tempfile
import unittest

import numpy as np

import llmdata

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GPT2 = os.path.join(ROOT, "examples", "data", "gpt2-tokenizer.json")
TEXTS = ["The quick brown fox jumps over the lazy dog near the river bank today",
         "the QUICK brown fox -- jumps over the lazy dog near the river bank today!",
         "Mail jane.doe@example.com or call +1 415 555 0100 about the <b>invoice</b>",
         "Entirely different words make up this sentence about unrelated topics here"]


def rt(obj):
    return pickle.loads(pickle.dumps(obj))


def _encode_in_child(tok):
    return list(tok.encode(TEXTS[0]))


def _is_valid(match):   # a module-level validator pickles by reference
    return match.endswith(b".com")


class PickleTest(unittest.TestCase):
    def test_tokenizer(self):
        tok = llmdata.Tokenizer(GPT2)
        t2 = rt(tok)
        self.assertEqual([list(tok.encode(t)) for t in TEXTS], [list(t2.encode(t)) for t in TEXTS])
        self.assertEqual(t2.eos_id, 50256)
        self.assertEqual(t2.vocab_size, tok.vocab_size)

    def test_tokenizer_in_a_worker_process(self):
        tok = llmdata.Tokenizer(GPT2)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            got = pool.apply(_encode_in_child, (tok,))
        self.assertEqual(got, _encode_in_child(tok))

    def test_minhasher_and_band_keys(self):
        h = llmdata.MinHasher(num_perm=64, ngram=3, seed=7)
        h2 = rt(h)
        self.assertEqual((h2.num_perm, h2.ngram, h2.seed, h2.mode), (64, 3, 7, "words"))
        for t in TEXTS:
            self.assertTrue(np.array_equal(h.signature(t), h2.signature(t)))
            self.assertTrue(np.array_equal(h.shingles(t)[1], h2.shingles(t)[1]))

    def test_redactor(self):
        r = llmdata.Redactor(types=["EMAIL_ADDRESS"], template="<{type}>",
                             rules=[("SITE", r"[a-z]+\.(com|org)", _is_valid)])
        r2 = rt(r)
        for t in TEXTS:
            self.assertEqual(r.redact(t), r2.redact(t))
        self.assertIn("<EMAIL_ADDRESS>", r2.redact(TEXTS[2])[0])
        self.assertNotIn("PHONE", r2.redact(TEXTS[2])[0])

    def test_quality_filter(self):
        f = llmdata.QualityFilter(filters="c4,badwords", min_bytes=60)
        f2 = rt(f)
        self.assertEqual(f.apply_batch(TEXTS), f2.apply_batch(TEXTS))
        self.assertFalse(f2.apply("short").keep)

    def test_lsh_index_by_bytes(self):
        h = llmdata.MinHasher()
        idx = llmdata.LshIndex(h, threshold=0.8)
        for i, t in enumerate(TEXTS[:3]):
            idx.insert(f"d{i}", h.signature(t))
        idx2 = rt(idx)
        self.assertEqual(len(idx2), 3)
        self.assertEqual((idx2.bands, idx2.rows), (idx.bands, idx.rows))
        for t in TEXTS:
            self.assertEqual(idx.query(h.signature(t)), idx2.query(h.signature(t)))
        self.assertEqual(idx2.key(1), b"d1")
        self.assertEqual(idx.insert("x", h.signature(TEXTS[1])), idx2.insert("x", h.signature(TEXTS[1])))

    def test_union_find_keeps_its_sets(self):
        uf = llmdata.UnionFind(6)
        uf.union(4, 2)
        uf.union(5, 4)
        uf.union(1, 3)
        u2 = rt(uf)
        self.assertEqual(list(u2.roots()), [0, 1, 2, 1, 2, 2])   # roots: smallest members
        self.assertTrue(np.array_equal(uf.roots(), u2.roots()))

    def test_empty_stateful_objects_and_refusals(self):
        s = llmdata.ExactSet(key_bytes=8)
        s2 = rt(s)
        self.assertTrue(s2.add(b"\x01" * 16))
        self.assertFalse(s2.add(b"\x01" * 16))
        with self.assertRaises(TypeError):
            pickle.dumps(s2)          # holds a hash: refusing beats arriving empty
        ld = llmdata.LineDedup(min_docs=2)
        self.assertEqual(rt(ld)._min_docs, 2)
        ld.count("a\nb")
        with self.assertRaises(TypeError):
            pickle.dumps(ld)
        p = llmdata.Packer(seq_len=4, eos_id=0)
        p2 = rt(p)
        self.assertEqual([w.tokens.tolist() for w in p2.add([1, 2, 3]) + p2.finish()], [[1, 2, 3, 0]])
        p.add([1])
        with self.assertRaises(TypeError):
            pickle.dumps(p)
        job = llmdata.DedupClusters(llmdata.MinHasher(), threshold=0.7)
        j2 = rt(job)
        self.assertEqual((j2.bands, j2.rows), (job.bands, job.rows))
        job.add(llmdata.MinHasher().signature(TEXTS[0]))
        with self.assertRaises(TypeError):
            pickle.dumps(job)

    def test_shard_writer_and_reader_and_doc(self):
        with tempfile.TemporaryDirectory() as d:
            w = llmdata.ShardWriter(os.path.join(d, "a"), seq_len=4, vocab_size=10)
            w2 = rt(w)     # a new writer at the same prefix (its own temporary files)
            w.close()
            p = llmdata.Packer(seq_len=4, eos_id=0, sink=w2)
            p.add([1, 2, 3])
            p.finish()
            p.close()
            self.assertEqual(w2.windows, 1)
            with self.assertRaises(TypeError):
                pickle.dumps(w2)
            w2.finish()
            tokens, _, _ = llmdata.load_shard(os.path.join(d, "a"))
            self.assertEqual(tokens.tolist(), [[1, 2, 3, 0]])
            src = os.path.join(d, "in.jsonl")
            with open(src, "w") as f:
                f.write('{"text":"a"}\n{"text":"b"}\n')
            r = llmdata.JsonlReader(src)
            self.assertEqual(list(rt(r)), [b'{"text":"a"}', b'{"text":"b"}'])
            next(iter(r))
            with self.assertRaises(TypeError):
                pickle.dumps(r)
            doc = rt(llmdata.JsonDoc())
            doc.parse('{"text":"x\\u00e9"}')
            self.assertEqual(doc.get_string("text"), "xé".encode())

    def test_pipeline_settings_and_inputs(self):
        with tempfile.TemporaryDirectory() as d:
            p = llmdata.Pipeline(tokenizer="bytes", seq_len=16, out=os.path.join(d, "o1"), near_dedup=False)
            p.add_input(os.path.join(ROOT, "examples", "data", "sample.jsonl"))
            p2 = rt(p)
            p2.set("out", os.path.join(d, "o2"))
            a, b = p.run(), p2.run()
            self.assertEqual(a["total"]["windows"], b["total"]["windows"])
            self.assertGreater(a["total"]["windows"], 0)
            with open(os.path.join(d, "o1", "data.bin"), "rb") as x, open(os.path.join(d, "o2", "data.bin"), "rb") as y:
                self.assertEqual(x.read(), y.read())
            out = llmdata.PipelineOutput(os.path.join(d, "o3"))
            with self.assertRaises(TypeError):
                pickle.dumps(out)
            out.close()
            self.assertFalse(any(n.startswith("o3") for n in os.listdir(d)))


if __name__ == "__main__":
    unittest.main()
