"""Dedup binding: signatures checked against tests/dedup_quality/ref_minhash.py (an independent
implementation of the documented algorithm: Python unicodedata + system libxxhash via ctypes),
batch vs single, index save/load/corruption, exact set, repeated lines."""
import os
import random
import sys
import tempfile
import unittest

import numpy as np

import llmdata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "dedup_quality"))
try:
    import ref_minhash
    ref_minhash.xxh3_64(b"", 0)
except OSError:  # no system libxxhash to load: the reference cannot run here
    ref_minhash = None

TEXTS = [
    "The quick brown fox jumps over the lazy dog",
    "",
    "one",
    "Ünïcode Straße, ΑΒΓ δέλτα — naïve café 42x and more words to pass five",
    "don't stop me now\n\tI'm having such a good time, I'm having a ball!",
    "数字 123 ٤٥٦ mixed-script text, ЁЖИК ёжик",
]


def random_text(rng, n):
    words = ["alpha", "Beta", "gamma", "δέλτα", "ε", "zeta", "eta", "theta", "iota", "kappa", "l", "mu"]
    return " ".join(rng.choice(words) + rng.choice(["", ",", ".", "!", " -"]) for _ in range(n))


@unittest.skipIf(ref_minhash is None, "system libxxhash not loadable for the reference")
class TestAgainstReference(unittest.TestCase):
    def test_words(self):
        rng = random.Random(5)
        texts = TEXTS + [random_text(rng, rng.randrange(0, 60)) for _ in range(20)]
        for seed, n, perms in ((1, 5, 128), (99, 3, 64), (2 ** 63 + 5, 1, 16)):
            h = llmdata.MinHasher(num_perm=perms, ngram=n, seed=seed)
            for t in texts:
                want = ref_minhash.signature(t, num_perm=perms, n=n, seed=seed)
                self.assertEqual(h.signature(t).tolist(), want, (t, seed, n))

    def test_chars_and_band_keys(self):
        h = llmdata.MinHasher(num_perm=32, ngram=4, mode="chars", seed=3)
        for t in TEXTS:
            want = ref_minhash.signature(t, num_perm=32, n=4, seed=3, chars=True)
            self.assertEqual(h.signature(t).tolist(), want, t)
        h = llmdata.MinHasher()
        for t in TEXTS:
            s = h.signature(t)
            self.assertEqual(llmdata.band_keys(s, 9, 13), ref_minhash.band_keys(s.tolist(), 9, 13))
            self.assertEqual(h.signature_bytes(t), ref_minhash.sig_bytes(ref_minhash.signature(t)))

    def test_fold(self):
        for t in TEXTS:
            self.assertEqual(llmdata.fold_text(t), " ".join(ref_minhash.words(t)))


class TestMinHash(unittest.TestCase):
    def test_batch_and_portable(self):
        rng = random.Random(9)
        texts = [random_text(rng, rng.randrange(0, 300)) for _ in range(50)]
        h = llmdata.MinHasher()
        hp = llmdata.MinHasher(force_portable=True)
        self.assertFalse(hp.uses_simd)
        batch = h.signatures(texts, threads=2)
        self.assertEqual(batch.shape, (50, 128))
        self.assertEqual(batch.dtype, np.uint32)
        np.testing.assert_array_equal(batch, hp.signatures(texts, threads=1))
        for i in (0, 17, 49):
            np.testing.assert_array_equal(batch[i], h.signature(texts[i]))

    def test_empty(self):
        h = llmdata.MinHasher()
        e = h.signature("")
        self.assertTrue((e == 0xFFFFFFFF).all())
        self.assertEqual(llmdata.jaccard(e, e), 0.0)

    def test_errors(self):
        with self.assertRaises(llmdata.LlmdError) as c:
            llmdata.MinHasher(num_perm=0)
        self.assertEqual(c.exception.status_name, "LLMD_ERR_INVALID_ARG")
        self.assertIn("num_perm", str(c.exception))
        with self.assertRaises(ValueError):
            llmdata.MinHasher(mode="bytes")
        self.assertEqual(llmdata.lsh_optimal_params(0.8, 128), (9, 13))  # datasketch's value


class TestIndex(unittest.TestCase):
    def test_roundtrip_and_corruption(self):
        h = llmdata.MinHasher()
        idx = llmdata.LshIndex(h, threshold=0.8)
        self.assertEqual((idx.bands, idx.rows), (9, 13))
        rng = random.Random(1)
        base = [random_text(rng, 200) for _ in range(5)]
        for i, t in enumerate(base):
            self.assertFalse(idx.insert(f"d{i}", h.signature(t)).duplicate)
        m = idx.insert("copy2", h.signature(base[2].upper() + " !!"))
        self.assertTrue(m.duplicate)
        self.assertEqual((m.match, m.representative, m.match_jaccard), (2, 2, 1.0))
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.idx")
            idx.save(p)
            l2 = llmdata.LshIndex.load(p, h)
            self.assertEqual(len(l2), 6)
            self.assertEqual(l2.key(5), b"copy2")
            self.assertEqual(l2.representative(5), 2)
            np.testing.assert_array_equal(l2.signature(3), h.signature(base[3]))
            self.assertEqual(l2.query(h.signature(base[2])), [2, 5])
            with open(p, "rb") as f:
                data = bytearray(f.read())
            data[100] ^= 1
            with open(p, "wb") as f:
                f.write(bytes(data))
            with self.assertRaises(llmdata.LlmdError) as c:
                llmdata.LshIndex.load(p)
            self.assertEqual(c.exception.status_name, "LLMD_ERR_CORRUPT")
            self.assertIn("checksum", str(c.exception))
            with self.assertRaises(llmdata.LlmdError) as c:
                llmdata.LshIndex.load(os.path.join(d, "missing"))
            self.assertEqual(c.exception.status_name, "LLMD_ERR_NOT_FOUND")
        with self.assertRaises(ValueError):
            idx.insert("bad", np.zeros(5, dtype=np.uint32))


class TestVerifyExact(unittest.TestCase):
    def test_exact_jaccard(self):
        # "a b c d e f" -> {abcde, bcdef}; "+ g" -> {abcde, bcdef, cdefg}: J = 2/3 (by hand)
        h = llmdata.MinHasher()
        idx = llmdata.LshIndex(h, threshold=0.6, bands=64, rows=2, verify_exact=True)
        s1, sh1 = h.shingles("a b c d e f")
        self.assertEqual(sh1.dtype, np.uint64)
        self.assertEqual(len(sh1), 2)
        np.testing.assert_array_equal(s1, h.signature("a b c d e f"))
        idx.insert("x", s1, shingles=sh1)
        s2, sh2 = h.shingles("A b, c d e f g")
        m = idx.insert("y", s2, shingles=sh2)
        self.assertTrue(m.duplicate)
        self.assertEqual(m.match_jaccard, 2 / 3)
        self.assertEqual(len(h.shingles("")[1]), 0)


class TestExact(unittest.TestCase):
    def test_hash_and_set(self):
        self.assertEqual(llmdata.exact_hash("Hello,  WORLD!", normalize=True), llmdata.exact_hash("hello world"))
        self.assertNotEqual(llmdata.exact_hash("Hello,  WORLD!"), llmdata.exact_hash("hello world"))
        s = llmdata.ExactSet()
        self.assertTrue(s.add(llmdata.exact_hash("a")))
        self.assertFalse(s.add(llmdata.exact_hash("a")))
        self.assertIn(llmdata.exact_hash("a"), s)
        self.assertEqual(len(s), 1)
        small = llmdata.ExactSet(max_bytes=1024)
        with self.assertRaises(llmdata.LlmdError) as c:
            for i in range(100):
                small.add(llmdata.exact_hash(str(i)))
        self.assertEqual(c.exception.status_name, "LLMD_ERR_RANGE")
        self.assertEqual(len(small), 44)   # 64 slots of 16 bytes at load factor 0.7

    def test_lines(self):
        docs = ["header\nbody one\n", "header\nbody two\n", "other\nheader\n"]
        ld = llmdata.LineDedup(3)
        for d in docs:
            ld.count(d)
        self.assertEqual(ld.filter(docs[2]), ("other\n", 1))


if __name__ == "__main__":
    unittest.main()


class TestClusters(unittest.TestCase):
    """Whole-corpus clusters: hand-worked chain (as tests/cli/test_dedup.sh section 7), union-find,
    candidate pairs, and the bundled cluster set scored against its truth."""

    def chain(self):
        w = " ".join("w%d" % i for i in range(1, 20))
        # c1: w20 replaced (J 15/17 with the base), c2: w1 replaced (15/17), c1 vs c2: 14/18
        return [w + " zzz", "yyy " + w[3:] + " w20", w + " w20", "an unrelated document about something else entirely"]

    def test_chain_any_order(self):
        texts = self.chain()
        v = llmdata.dedup_texts(texts)
        self.assertEqual([x.keep for x in v], [True, False, False, True])
        self.assertEqual((v[1].representative, v[1].linked), (0, 2))
        self.assertAlmostEqual(v[1].jaccard, 15 / 17, places=6)
        self.assertEqual((v[2].linked, v[2].cluster_size), (0, 3))
        for order in ([2, 0, 1, 3], [1, 2, 0, 3], [3, 2, 1, 0]):
            r = llmdata.dedup_texts([texts[i] for i in order])
            self.assertEqual(sum(x.keep for x in r), 2)
        # priorities: the base (lowest priority value) is the one kept
        r = llmdata.dedup_texts(texts, priorities=[5, 5, 1, 0])
        self.assertEqual([x.keep for x in r], [False, False, True, True])

    def test_job_steps_and_stats(self):
        h = llmdata.MinHasher()
        texts = self.chain() + [self.chain()[3]]  # an exact copy of the unrelated text
        job = llmdata.DedupClusters(h)
        self.assertEqual((job.bands, job.rows), (16, 8))
        self.assertEqual(llmdata.dedup_default_bands(0.8, 128), (16, 8))
        for t in texts:
            job.add(h.signature(t), llmdata.exact_hash(t))
        self.assertEqual(job.candidates(), 3)
        self.assertEqual([job.needs_shingles(d) for d in range(5)], [True, True, True, False, False])
        with self.assertRaises(llmdata.LlmdError):
            job.finish()  # candidates without their shingle sets
        for d in range(3):
            job.set_shingles(d, h.shingles(texts[d])[1])
        job.finish()
        self.assertEqual(list(job.keep_mask()), [True, False, False, True, False])
        st = job.stats()
        self.assertEqual((st["docs"], st["clusters"], st["removed"], st["exact_joined"]), (5, 2, 3, 1))
        self.assertEqual(st["size_hist"]["2"], 1)
        self.assertEqual(st["size_hist"]["3"], 1)
        r = job.result(4)
        self.assertEqual((r.keep, r.representative, r.linked, r.jaccard), (False, 3, 3, 1.0))

    def test_union_find_and_pairs(self):
        uf = llmdata.UnionFind(6)
        self.assertTrue(uf.union(4, 2))
        self.assertTrue(uf.union(5, 4))
        self.assertFalse(uf.union(2, 5))
        uf.union_pairs([[3, 1], [2, 3]])
        self.assertEqual(list(uf.roots()), [0, 1, 1, 1, 1, 1])
        with self.assertRaises(IndexError):
            uf.find(6)
        # hand-made keys: band 0 shared by docs 0, 2, 4; band 1 by 3, 4
        def key(band, h):
            return band.to_bytes(4, "little") + h.to_bytes(8, "little")
        keys = [[key(0, 7), key(1, 100)], [key(0, 101), key(1, 102)], [key(0, 7), key(1, 103)],
                [key(0, 104), key(1, 9)], [key(0, 7), key(1, 9)]]
        self.assertEqual(llmdata.candidate_pairs(keys, 2).tolist(), [[0, 2], [0, 4], [3, 4]])
        self.assertEqual(llmdata.candidate_pairs(keys, 2, skip=[0, 0, 1, 0, 0]).tolist(), [[0, 4], [3, 4]])
        # from real signatures: the chain's three documents share keys
        h = llmdata.MinHasher()
        ks = [llmdata.band_keys(h.signature(t), 16, 8) for t in self.chain()]
        pairs = llmdata.candidate_pairs(ks, 16)
        uf = llmdata.UnionFind(4)
        uf.union_pairs(pairs)
        self.assertEqual(list(uf.roots()), [0, 0, 0, 3])

    def test_bundled_cluster_set(self):
        path = os.path.join(HERE, "..", "..", "..", "tests", "data", "dedup", "clusters_small.tsv")
        texts, clusters = [], []
        with open(path, encoding="utf-8") as f:
            for line in f:
                i, c, _, t = line.rstrip("\n").split("\t")
                t = t.replace("\\\\", "\0").replace("\\n", "\n").replace("\\t", "\t").replace("\0", "\\")
                texts.append(t)
                clusters.append(c)
        v = llmdata.dedup_texts(texts)
        kept = {}
        for x, c in zip(v, clusters):
            kept[c] = kept.get(c, 0) + x.keep
        # every true cluster keeps exactly one document (measured: precision = recall = 1)
        self.assertEqual(sorted(set(kept.values())), [1])
