"""Dedup (llmdata/dedup.h) through ctypes: exact hashes and set, repeated lines, MinHash
signatures (numpy uint32 arrays), LSH band keys, the persistent near-duplicate index, and
whole-corpus clusters (DedupClusters, UnionFind, candidate_pairs, dedup_texts).

>>> import llmdata
>>> h = llmdata.MinHasher()                      # 128 perms, word 5-grams, seed 1
>>> a = h.signature("The quick brown fox jumps over the lazy dog")
>>> b = h.signature("the QUICK brown fox -- jumps over the lazy dog.")
>>> llmdata.jaccard(a, b)
1.0
>>> idx = llmdata.LshIndex(h, threshold=0.8)
>>> idx.insert("a", a).duplicate, idx.insert("b", b).duplicate
(False, True)

Signatures are numpy arrays of uint32 (``sig.astype('<u4').tobytes()`` is the documented byte
layout).  A MinHasher is immutable and may be shared by threads (the C calls release the GIL);
an LshIndex, ExactSet or LineDedup is used by one thread at a time.  Integers are checked before
they reach C (TypeError / OverflowError), and close() is safe while another thread is inside a
call (the handle is freed when the call returns).
"""
import collections
import ctypes

import numpy as np

from ._lib import Api, Handle, c_int, check, int_array, lib, to_bytes

__all__ = ["MinHasher", "LshIndex", "LshMatch", "ExactSet", "LineDedup", "exact_hash", "fold_text",
           "jaccard", "lsh_optimal_params", "band_keys", "BAND_KEY_SIZE", "UnionFind", "candidate_pairs",
           "dedup_default_bands", "DedupClusters", "DedupVerdict", "dedup_texts"]

BAND_KEY_SIZE = 12
_u8p = ctypes.POINTER(ctypes.c_uint8)
_u32p = ctypes.POINTER(ctypes.c_uint32)
_u64p = ctypes.POINTER(ctypes.c_uint64)
_sz = ctypes.c_size_t
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_P = ctypes.POINTER


class _MinhashOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("num_perm", ctypes.c_uint32), ("ngram", ctypes.c_uint32),
                ("shingle_mode", ctypes.c_int), ("seed", ctypes.c_uint64), ("force_portable", ctypes.c_int)]


class _LshOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("threshold", ctypes.c_double), ("bands", ctypes.c_uint32),
                ("rows", ctypes.c_uint32), ("verify_exact", ctypes.c_int)]


class _ExactOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("capacity", ctypes.c_uint64), ("max_bytes", ctypes.c_uint64),
                ("key_bytes", ctypes.c_uint)]


class _LineDedupOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("min_docs", ctypes.c_uint32)]


class _Match(ctypes.Structure):
    _fields_ = [("entry", ctypes.c_uint64), ("duplicate", ctypes.c_int), ("match", ctypes.c_uint64),
                ("match_jaccard", ctypes.c_double), ("representative", ctypes.c_uint64),
                ("candidates", ctypes.c_uint64)]


LshMatch = collections.namedtuple("LshMatch", "entry duplicate match match_jaccard representative candidates")



def _u32(arr):
    return arr.ctypes.data_as(_u32p)


def _sig(sig, num_perm):
    a = int_array(sig, np.uint32, "signature")
    if a.shape[0] != num_perm:
        raise ValueError(f"signature must be a 1-d array of {num_perm} values, got shape {a.shape}")
    return a


def _threshold(t):
    if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
        raise TypeError(f"threshold must be a number, not {type(t).__name__}")
    return float(t)


def exact_hash(text, normalize=False):
    """16-byte content hash: XXH3-128 of the bytes, or of the folded text with normalize=True."""
    out = (ctypes.c_uint8 * 16)()
    b = to_bytes(text)
    check(_api.llmd_exact_hash(b, len(b), 1 if normalize else 0, out))
    return bytes(out)


def fold_text(text):
    """The folded text (lower-cased words joined by one space) as str (bytes for a bytes input)."""
    b = to_bytes(text)
    out = _vp()
    n = _sz()
    check(_api.llmd_fold_text(b, len(b), ctypes.byref(out), ctypes.byref(n)))
    try:
        r = ctypes.string_at(out.value, n.value) if n.value else b""
    finally:
        lib().llmd_free(out)
    return r if isinstance(text, (bytes, bytearray, memoryview)) else r.decode("utf-8")


def jaccard(a, b):
    """Estimated Jaccard of two signatures (0.0 if either is empty: all 0xFFFFFFFF)."""
    a = int_array(a, np.uint32, "signature")
    b = _sig(b, a.shape[0])
    return _api.llmd_minhash_jaccard(_u32(a), _u32(b), a.shape[0])


def lsh_optimal_params(threshold, num_perm=128):
    """datasketch's optimal (bands, rows) for a threshold in (0, 1] (weights 0.5/0.5)."""
    num_perm = c_int(num_perm, ctypes.c_uint32, "num_perm")
    b, r = ctypes.c_uint32(), ctypes.c_uint32()
    check(_api.llmd_lsh_optimal_params(_threshold(threshold), num_perm, ctypes.byref(b), ctypes.byref(r)))
    return b.value, r.value


def band_keys(sig, bands, rows):
    """The band keys of a signature: a list of `bands` 12-byte bytes objects."""
    a = int_array(sig, np.uint32, "signature")
    bands = c_int(bands, ctypes.c_uint32, "bands")
    rows = c_int(rows, ctypes.c_uint32, "rows")
    if bands * rows > a.shape[0]:
        raise ValueError(f"bands {bands} x rows {rows} exceed the signature's {a.shape[0]} values")
    out = (ctypes.c_uint8 * max(bands * BAND_KEY_SIZE, 1))()
    check(_api.llmd_lsh_band_keys(_u32(a), a.shape[0], bands, rows, out))
    raw = bytes(out)
    return [raw[i * BAND_KEY_SIZE:(i + 1) * BAND_KEY_SIZE] for i in range(bands)]


class MinHasher(Handle):
    """MinHash signatures.  mode: "words" (default) or "chars"."""

    _what = "MinHasher"

    def _release(self, handle):
        _api.llmd_minhasher_free(handle)

    def __init__(self, num_perm=128, ngram=5, mode="words", seed=1, force_portable=False):
        if mode not in ("words", "chars"):
            raise ValueError(f"mode must be 'words' or 'chars', got {mode!r}")
        num_perm = c_int(num_perm, ctypes.c_uint32, "num_perm")
        ngram = c_int(ngram, ctypes.c_uint32, "ngram")
        seed = c_int(seed, ctypes.c_uint64, "seed")
        self._opts = _MinhashOptions(1, num_perm, ngram, 0 if mode == "words" else 1, seed, 1 if force_portable else 0)
        h = _vp()
        check(_api.llmd_minhasher_new(ctypes.byref(h), ctypes.byref(self._opts)))
        self._set_handle(h)
        self.num_perm = num_perm
        self.ngram = ngram
        self.mode = mode
        self.seed = seed
        self.force_portable = bool(force_portable)

    def __reduce__(self):
        """Pickles by its constructor arguments (a MinHasher is immutable)."""
        return (type(self), (self.num_perm, self.ngram, self.mode, self.seed, self.force_portable))

    @property
    def uses_simd(self):
        """True when signatures use the SIMD code path (same values as the portable one)."""
        with self._use() as h:
            return bool(_api.llmd_minhasher_uses_simd(h))

    def signature(self, text):
        """numpy uint32 array of num_perm values."""
        b = to_bytes(text)
        out = np.empty(self.num_perm, dtype=np.uint32)
        with self._use() as h:
            check(_api.llmd_minhash(h, b, len(b), _u32(out), None))
        return out

    def signatures(self, texts, threads=0):
        """numpy uint32 array of shape (len(texts), num_perm), computed on `threads` threads."""
        threads = c_int(threads, ctypes.c_uint, "threads")
        bs = [to_bytes(t) for t in texts]
        n = len(bs)
        out = np.empty((n, self.num_perm), dtype=np.uint32)
        if n == 0:
            return out
        ptrs = (_cp * n)(*bs)
        lens = (_sz * n)(*[len(b) for b in bs])
        with self._use() as h:
            check(_api.llmd_minhash_batch(h, ptrs, lens, n, threads, _u32(out), None))
        return out

    def shingles(self, text):
        """(signature, shingle set): the set is a sorted numpy uint64 array of the distinct
        XXH3-64 shingle hashes, for LshIndex(verify_exact=True).insert(..., shingles=...)."""
        b = to_bytes(text)
        sig = np.empty(self.num_perm, dtype=np.uint32)
        p = _u64p()
        n = _sz()
        with self._use() as h:
            check(_api.llmd_minhash_shingles(h, b, len(b), _u32(sig), ctypes.byref(p), ctypes.byref(n)))
        try:
            sh = np.ctypeslib.as_array(p, shape=(n.value,)).copy() if n.value else np.empty(0, dtype=np.uint64)
        finally:
            lib().llmd_free(ctypes.cast(p, _vp))
        return sig, sh

    def signature_bytes(self, text):
        """The documented byte layout: num_perm little-endian uint32."""
        return self.signature(text).astype("<u4").tobytes()


class LshIndex(Handle):
    """Near-duplicate index.  Build with a MinHasher (whose parameters are stored), or load().
    threshold in (0, 1]; 1 keeps only identical signatures (one band of num_perm rows)."""

    _what = "LshIndex"

    def _release(self, handle):
        _api.llmd_lsh_index_free(handle)

    def __init__(self, hasher=None, threshold=0.8, bands=0, rows=0, verify_exact=False, _handle=None,
                 _num_perm=None):
        if _handle is not None:
            self._set_handle(_handle)
            self.num_perm = _num_perm
            return
        hasher = hasher or MinHasher()
        lo = _LshOptions(1, _threshold(threshold), c_int(bands, ctypes.c_uint32, "bands"),
                         c_int(rows, ctypes.c_uint32, "rows"), 1 if verify_exact else 0)
        x = _vp()
        check(_api.llmd_lsh_index_new(ctypes.byref(x), ctypes.byref(hasher._opts), ctypes.byref(lo)))
        self._set_handle(x)
        self.num_perm = hasher.num_perm

    def __reduce__(self):
        """Pickles as the bytes of save() (the index file format of dedup.h) and is loaded from
        them again on unpickling: same entries, parameters and answers."""
        import os
        import tempfile
        fd, path = tempfile.mkstemp(suffix=".lshidx")
        os.close(fd)
        try:
            self.save(path)
            with open(path, "rb") as f:
                data = f.read()
        finally:
            os.unlink(path)
        return (_lsh_index_from_bytes, (data,))

    @classmethod
    def load(cls, path, hasher=None):
        """Loads a saved index; with a hasher, its parameters must match the file's."""
        x = _vp()
        check(_api.llmd_lsh_index_load(ctypes.byref(x), to_bytes(str(path)),
                                       ctypes.byref(hasher._opts) if hasher else None))
        obj = cls(_handle=x, _num_perm=0)
        # num_perm: the header field at byte 12 (the file was just validated by the library)
        with open(path, "rb") as f:
            obj.num_perm = int.from_bytes(f.read(16)[12:16], "little")
        return obj

    @property
    def bands(self):
        """Number of LSH bands."""
        with self._use() as h:
            return _api.llmd_lsh_index_bands(h)

    @property
    def rows(self):
        """Rows (signature values) per band."""
        with self._use() as h:
            return _api.llmd_lsh_index_rows(h)

    def __len__(self):
        with self._use() as h:
            return _api.llmd_lsh_index_count(h)

    def insert(self, key, sig, priority=0, shingles=None):
        """Inserts (key, signature[, shingle set from MinHasher.shingles]); returns an LshMatch
        (duplicate, best match and its Jaccard, representative)."""
        k = to_bytes(key)
        s = _sig(sig, self.num_perm)
        priority = c_int(priority, ctypes.c_uint64, "priority")
        m = _Match()
        if shingles is None:
            with self._use() as h:
                check(_api.llmd_lsh_index_insert(h, k, len(k), _u32(s), priority, ctypes.byref(m)))
        else:
            sh = int_array(shingles, np.uint64, "shingles")
            with self._use() as h:
                check(_api.llmd_lsh_index_insert_shingles(h, k, len(k), _u32(s), sh.ctypes.data_as(_u64p),
                                                          sh.shape[0], priority, ctypes.byref(m)))
        return LshMatch(m.entry, bool(m.duplicate), m.match if m.duplicate else None, m.match_jaccard,
                        m.representative, m.candidates)

    def query(self, sig):
        """Entries whose estimated Jaccard with sig is >= the threshold (sorted list)."""
        s = _sig(sig, self.num_perm)
        n = _sz()
        with self._use() as h:
            check(_api.llmd_lsh_index_query(h, _u32(s), None, 0, ctypes.byref(n)))
            out = (ctypes.c_uint64 * max(n.value, 1))()
            check(_api.llmd_lsh_index_query(h, _u32(s), out, n.value, ctypes.byref(n)))
        return list(out[:n.value])

    def representative(self, entry):
        """Entry number of the representative (kept) entry of entry's duplicate group; IndexError out of range."""
        entry = c_int(entry, ctypes.c_uint64, "entry")
        with self._use() as h:
            r = _api.llmd_lsh_index_representative(h, entry)
        if r == 2 ** 64 - 1:
            raise IndexError(f"entry {entry} out of range")
        return r

    def key(self, entry):
        """The key (bytes) given when entry was inserted; IndexError out of range."""
        entry = c_int(entry, ctypes.c_uint64, "entry")
        n = _sz()
        with self._use() as h:
            p = _api.llmd_lsh_index_key(h, entry, ctypes.byref(n))
            if not p:
                raise IndexError(f"entry {entry} out of range")
            return ctypes.string_at(p, n.value)

    def signature(self, entry):
        """The MinHash signature (numpy uint32) stored for entry; IndexError out of range."""
        entry = c_int(entry, ctypes.c_uint64, "entry")
        with self._use() as h:
            p = _api.llmd_lsh_index_signature(h, entry)
            if not p:
                raise IndexError(f"entry {entry} out of range")
            return np.ctypeslib.as_array(p, shape=(self.num_perm,)).copy()

    def save(self, path):
        """Writes the index to path (load it back with LshIndex.load); LlmdError on failure."""
        with self._use() as h:
            check(_api.llmd_lsh_index_save(h, to_bytes(str(path))))


class ExactSet(Handle):
    """A bounded set of 16-byte content hashes (key_bytes=8 keeps 64-bit prefixes)."""

    _what = "ExactSet"

    def _release(self, handle):
        _api.llmd_exact_set_free(handle)

    def __init__(self, capacity=0, max_bytes=0, key_bytes=16):
        o = _ExactOptions(1, c_int(capacity, ctypes.c_uint64, "capacity"),
                          c_int(max_bytes, ctypes.c_uint64, "max_bytes"), c_int(key_bytes, ctypes.c_uint, "key_bytes"))
        s = _vp()
        check(_api.llmd_exact_set_new(ctypes.byref(s), ctypes.byref(o)))
        self._set_handle(s)
        self._args = (capacity, max_bytes, key_bytes)

    def __reduce__(self):
        """Pickles by its constructor arguments while empty; a set holding hashes refuses
        (TypeError): the library cannot list them, and an empty copy would lose them silently."""
        if len(self):
            raise TypeError("an ExactSet holding hashes cannot be pickled (only an empty one, by its arguments)")
        return (type(self), self._args)

    @staticmethod
    def _hash(h):
        b = to_bytes(h)
        if len(b) != 16:
            raise ValueError("hash must be 16 bytes")
        return b

    def add(self, h):
        """Inserts a 16-byte hash; True if it was new."""
        b = self._hash(h)
        new = ctypes.c_int()
        with self._use() as s:
            check(_api.llmd_exact_set_insert(s, b, ctypes.byref(new)))
        return bool(new.value)

    def __contains__(self, h):
        b = self._hash(h)
        with self._use() as s:
            return bool(_api.llmd_exact_set_contains(s, b))

    def __len__(self):
        with self._use() as s:
            return _api.llmd_exact_set_count(s)

    @property
    def memory(self):
        """Bytes of memory the set uses."""
        with self._use() as s:
            return _api.llmd_exact_set_memory(s)


class LineDedup(Handle):
    """Two-pass removal of lines found in >= min_docs documents (min_docs >= 2): count() every
    document, then filter() each one.  filter() returns (text, removed_lines)."""

    _what = "LineDedup"

    def _release(self, handle):
        _api.llmd_line_dedup_free(handle)

    def __init__(self, min_docs=3):
        o = _LineDedupOptions(1, c_int(min_docs, ctypes.c_uint32, "min_docs"))
        d = _vp()
        check(_api.llmd_line_dedup_new(ctypes.byref(d), ctypes.byref(o)))
        self._set_handle(d)
        self._min_docs = min_docs
        self._used = False

    def __reduce__(self):
        """Pickles by its constructor arguments before count() is first called; afterwards it
        refuses (TypeError) rather than drop the line counts."""
        if self._used:
            raise TypeError("a LineDedup that has counted documents cannot be pickled")
        return (type(self), (self._min_docs,))

    def count(self, text):
        """Pass 1: counts the lines of one document (str or bytes)."""
        self._used = True
        b = to_bytes(text)
        with self._use() as d:
            check(_api.llmd_line_dedup_count(d, b, len(b)))

    def filter(self, text):
        """Pass 2: (text without the lines seen in >= min_docs documents, number of lines removed)."""
        b = to_bytes(text)
        out, n, rm = _vp(), _sz(), _sz()
        with self._use() as d:
            check(_api.llmd_line_dedup_filter(d, b, len(b), ctypes.byref(out), ctypes.byref(n), ctypes.byref(rm)))
        try:
            r = ctypes.string_at(out.value, n.value) if n.value else b""
        finally:
            lib().llmd_free(out)
        return (r if isinstance(text, (bytes, bytearray, memoryview)) else r.decode("utf-8")), rm.value


# ---- whole-corpus clusters (llmd_dedup_clusters, llmd_union_find, llmd_lsh_candidate_pairs) ----

_u64p = ctypes.POINTER(ctypes.c_uint64)
_VERIFY = {"exact": 0, "estimate": 1, "none": 2}


class _ClusterOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("threshold", ctypes.c_double), ("bands", ctypes.c_uint32),
                ("rows", ctypes.c_uint32), ("verify", ctypes.c_int)]


class _Verdict(ctypes.Structure):
    _fields_ = [("keep", ctypes.c_int), ("representative", ctypes.c_uint64), ("cluster_size", ctypes.c_uint64),
                ("linked", ctypes.c_uint64), ("jaccard", ctypes.c_double), ("check", ctypes.c_uint64)]


class _ClusterStats(ctypes.Structure):
    _fields_ = [("docs", ctypes.c_uint64), ("clusters", ctypes.c_uint64), ("removed", ctypes.c_uint64),
                ("exact_joined", ctypes.c_uint64), ("candidates", ctypes.c_uint64),
                ("pairs_verified", ctypes.c_uint64), ("pairs_passed", ctypes.c_uint64), ("largest", ctypes.c_uint64),
                ("size_hist", ctypes.c_uint64 * 6), ("peak_bytes", ctypes.c_uint64),
                ("shingle_bytes", ctypes.c_uint64)]


DedupVerdict = collections.namedtuple("DedupVerdict", "keep representative cluster_size linked jaccard check")
DedupVerdict.__doc__ = """One document's verdict: keep (bool), representative (the cluster's kept document),
cluster_size, linked (the other document of its highest-Jaccard verified pair, or None), jaccard
(that pair's Jaccard, 1.0 for an exact copy, 0.0 without a link), check (the value given to add)."""


class UnionFind(Handle):
    """Union-find over 0..n-1; every set's root is its smallest member (whatever the union order)."""

    def __init__(self, n):
        h = _vp()
        check(_api.llmd_union_find_new(ctypes.byref(h), n))
        self._h = h

    def __reduce__(self):
        """Pickles as (n, the root of every element) and is rebuilt by joining each element to its
        root: the same sets, the same roots (the smallest member)."""
        return (_union_find_from_roots, (len(self), self.roots()))

    def _release(self, h):
        _api.llmd_union_find_free(h)

    def __len__(self):
        return _api.llmd_union_find_size(self._h)

    def union(self, a, b):
        """Joins a's and b's sets; True if they were apart."""
        m = ctypes.c_int()
        check(_api.llmd_union_find_union(self._h, a, b, ctypes.byref(m)))
        return bool(m.value)

    def union_pairs(self, pairs):
        """Joins every (a, b) row of an (n, 2) array."""
        p = np.ascontiguousarray(pairs, dtype=np.uint64).reshape(-1, 2)
        check(_api.llmd_union_find_union_pairs(
            self._h, p.ctypes.data_as(_u64p), p.shape[0]))

    def find(self, a):
        """Representative element of a's set; IndexError out of range."""
        r = _api.llmd_union_find_find(self._h, a)
        if r == 2 ** 64 - 1:
            raise IndexError(f"element {a} out of range")
        return r

    def roots(self):
        """numpy uint64 array: the root of every element."""
        return np.array([self.find(i) for i in range(len(self))], dtype=np.uint64)


def candidate_pairs(keys, bands, skip=None):
    """Candidate pairs from band keys: keys is a bytes-like of n_docs * bands * 12 bytes, document
    major (each document's band_keys() joined), or a list of such per-document lists.  Returns an
    (n, 2) uint64 array of (first document of a bucket, other member), sorted and distinct."""
    if isinstance(keys, (list, tuple)):
        keys = b"".join(b"".join(k) if isinstance(k, (list, tuple)) else bytes(k) for k in keys)
    raw = bytes(keys)
    per = bands * BAND_KEY_SIZE
    if bands <= 0 or len(raw) % per:
        raise ValueError(f"keys must be a multiple of bands * {BAND_KEY_SIZE} bytes")
    n = len(raw) // per
    sk = None
    if skip is not None:
        sk_arr = np.ascontiguousarray(skip, dtype=np.uint8)
        if sk_arr.shape != (n,):
            raise ValueError(f"skip must have {n} entries")
        sk = sk_arr.ctypes.data_as(_u8p)
    out = ctypes.POINTER(ctypes.c_uint64)()
    cnt = _sz()
    buf = (ctypes.c_uint8 * max(len(raw), 1)).from_buffer_copy(raw if raw else b"\0")
    check(_api.llmd_lsh_candidate_pairs(
        buf, n, bands, sk, ctypes.byref(out), ctypes.byref(cnt)))
    try:
        if cnt.value == 0:
            return np.empty((0, 2), dtype=np.uint64)
        return np.ctypeslib.as_array(out, shape=(cnt.value * 2,)).copy().reshape(-1, 2)
    finally:
        if out:
            _api.llmd_free(ctypes.cast(out, _vp))


def dedup_default_bands(threshold=0.8, num_perm=128):
    """The cluster job's default (bands, rows): the most rows for which a pair at threshold + 0.05
    is a candidate with probability >= 0.99 (16 x 8 at 0.8 / 128)."""
    b, r = ctypes.c_uint32(), ctypes.c_uint32()
    check(_api.llmd_dedup_default_bands(
        threshold, num_perm, ctypes.byref(b), ctypes.byref(r)))
    return b.value, r.value


class DedupClusters(Handle):
    """Whole-corpus near-duplicate clusters, the two-pass flow of include/llmdata/dedup.h:

        job = DedupClusters(hasher)                 # threshold 0.8, 16x8, exact verification
        for text in corpus: job.add(hasher.signature(text), exact_hash(text))   # pass 1
        job.candidates()
        for doc, text in enumerate(corpus):                                      # pass 2
            if job.needs_shingles(doc): job.set_shingles(doc, hasher.shingles(text)[1])
        job.finish()
        keep = job.keep_mask()                                                   # pass 3

    verify: "exact" (default; needs pass 2), "estimate" or "none".  Signatures may be computed
    anywhere (e.g. Dask workers) with a MinHasher of the same parameters; documents are numbered in
    the order they are added.  One thread at a time."""

    def __init__(self, hasher=None, threshold=0.8, bands=0, rows=0, verify="exact"):
        if verify not in _VERIFY:
            raise ValueError(f"verify must be one of {sorted(_VERIFY)}, got {verify!r}")
        hasher = hasher or MinHasher()
        o = _ClusterOptions(1, threshold, bands, rows, _VERIFY[verify])
        h = _vp()
        check(_api.llmd_dedup_clusters_new(ctypes.byref(h), ctypes.byref(hasher._opts), ctypes.byref(o)))
        self._h = h
        self.num_perm = hasher.num_perm
        self.verify = verify
        self._args = (hasher, threshold, bands, rows, verify)

    def __reduce__(self):
        """Pickles by its constructor arguments before the first add(); a job holding documents
        refuses (TypeError) -- hand the workers a MinHasher and gather signatures instead."""
        if len(self):
            raise TypeError("a DedupClusters job holding documents cannot be pickled (only a new one)")
        return (type(self), self._args)

    def _release(self, h):
        _api.llmd_dedup_clusters_free(h)

    @property
    def bands(self):
        """Number of LSH bands."""
        return _api.llmd_dedup_clusters_bands(self._h)

    @property
    def rows(self):
        """Rows (signature values) per band."""
        return _api.llmd_dedup_clusters_rows(self._h)

    def __len__(self):
        return _api.llmd_dedup_clusters_count(self._h)

    def add(self, sig, exact_hash=None, priority=0, check_value=0):
        """Pass 1: adds a document (signature, optional 16-byte exact hash, priority: lower is kept
        first); returns its number."""
        s = _sig(sig, self.num_perm)
        if exact_hash is not None and len(exact_hash) != 16:
            raise ValueError("exact_hash must be 16 bytes")
        d = ctypes.c_uint64()
        check(_api.llmd_dedup_clusters_add(self._h, _u32(s), bytes(exact_hash) if exact_hash is not None
                                                  else None, priority, check_value, ctypes.byref(d)))
        return d.value

    def add_batch(self, sigs, exact_hashes=None, priorities=None):
        """Adds the rows of an (n, num_perm) signature array; exact_hashes: n 16-byte values or
        None; priorities: n integers or None.  Returns the first document number."""
        a = np.ascontiguousarray(sigs, dtype=np.uint32).reshape(-1, self.num_perm)
        first = len(self)
        for i in range(a.shape[0]):
            self.add(a[i], None if exact_hashes is None else exact_hashes[i],
                     0 if priorities is None else int(priorities[i]))
        return first

    def candidates(self):
        """Ends pass 1; returns the number of documents that share a band key with another."""
        n = ctypes.c_uint64()
        check(_api.llmd_dedup_clusters_candidates(
            self._h, ctypes.byref(n)))
        return n.value

    def needs_shingles(self, doc):
        """True when doc is a candidate whose shingle set pass 2 must give (set_shingles)."""
        return bool(_api.llmd_dedup_clusters_needs_shingles(self._h, doc))

    def set_shingles(self, doc, shingles):
        """Pass 2: a candidate's shingle set (MinHasher.shingles(text)[1])."""
        sh = np.ascontiguousarray(shingles, dtype=np.uint64)
        check(_api.llmd_dedup_clusters_set_shingles(
            self._h, doc, sh.ctypes.data_as(_u64p), sh.shape[0]))

    def finish(self):
        """Verifies the candidate pairs and builds the clusters."""
        check(_api.llmd_dedup_clusters_finish(self._h))

    def result(self, doc):
        """After finish(): the DedupVerdict of doc (keep, representative, cluster_size, linked, jaccard, check)."""
        v = _Verdict()
        check(_api.llmd_dedup_clusters_result(
            self._h, doc, ctypes.byref(v)))
        return DedupVerdict(bool(v.keep), v.representative, v.cluster_size,
                            None if v.linked == 2 ** 64 - 1 else v.linked, v.jaccard, v.check)

    def keep_mask(self):
        """numpy bool array: True for each cluster's kept document."""
        return np.array([self.result(d).keep for d in range(len(self))], dtype=bool)

    def stats(self):
        """Cluster statistics as a dict (documents, candidates, clusters, removed, size_hist, ...)."""
        s = _ClusterStats()
        check(_api.llmd_dedup_clusters_stats(
            self._h, ctypes.byref(s)))
        d = {k: getattr(s, k) for k, _ in _ClusterStats._fields_ if k != "size_hist"}
        d["size_hist"] = dict(zip(("2", "3", "4-5", "6-10", "11-100", ">100"), list(s.size_hist)))
        return d


def dedup_texts(texts, hasher=None, threshold=0.8, verify="exact", priorities=None, threads=0):
    """Whole-corpus dedup of a list of texts in memory; returns a list of DedupVerdict (one per
    text, in order).  priorities: lower is kept first (default: the first in the list)."""
    hasher = hasher or MinHasher()
    job = DedupClusters(hasher, threshold=threshold, verify=verify)
    sigs = hasher.signatures(texts, threads=threads)
    for i, t in enumerate(texts):
        job.add(sigs[i], exact_hash(t), 0 if priorities is None else int(priorities[i]), i)
    if job.candidates() and verify == "exact":
        for i, t in enumerate(texts):
            if job.needs_shingles(i):
                job.set_shingles(i, hasher.shingles(t)[1])
    job.finish()
    return [job.result(i) for i in range(len(texts))]


def _lsh_index_from_bytes(data):
    import os
    import tempfile
    fd, path = tempfile.mkstemp(suffix=".lshidx")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return LshIndex.load(path)
    finally:
        os.unlink(path)


def _union_find_from_roots(n, roots):
    uf = UnionFind(n)
    pairs = np.stack([np.arange(n, dtype=np.uint64), np.asarray(roots, dtype=np.uint64)], axis=1) if n else \
        np.empty((0, 2), dtype=np.uint64)
    uf.union_pairs(pairs)
    return uf


# The C functions this module calls (declared once; bound on first use).
_api = Api({
    "llmd_union_find_free": (None, _vp),
    "llmd_union_find_size": (ctypes.c_uint64, _vp),
    "llmd_union_find_find": (ctypes.c_uint64, _vp, ctypes.c_uint64),
    "llmd_lsh_candidate_pairs": (ctypes.c_int, _u8p, ctypes.c_uint64, ctypes.c_uint32, _u8p, ctypes.POINTER(ctypes.POINTER(ctypes.c_uint64)), ctypes.POINTER(_sz)),
    "llmd_dedup_default_bands": (ctypes.c_int, ctypes.c_double, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32)),
    "llmd_dedup_clusters_free": (None, _vp),
    "llmd_dedup_clusters_bands": (ctypes.c_uint32, _vp),
    "llmd_dedup_clusters_rows": (ctypes.c_uint32, _vp),
    "llmd_dedup_clusters_count": (ctypes.c_uint64, _vp),
    "llmd_union_find_new": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_uint64),
    "llmd_union_find_union": (ctypes.c_int, _vp, ctypes.c_uint64, ctypes.c_uint64, ctypes.POINTER(ctypes.c_int)),
    "llmd_union_find_union_pairs": (ctypes.c_int, _vp, _u64p, _sz),
    "llmd_free": (None, _vp),
    "llmd_dedup_clusters_new": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.POINTER(_MinhashOptions), ctypes.POINTER(_ClusterOptions)),
    "llmd_dedup_clusters_add": (ctypes.c_int, _vp, _u32p, _cp, ctypes.c_uint64, ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint64)),
    "llmd_dedup_clusters_candidates": (ctypes.c_int, _vp, ctypes.POINTER(ctypes.c_uint64)),
    "llmd_dedup_clusters_needs_shingles": (ctypes.c_int, _vp, ctypes.c_uint64),
    "llmd_dedup_clusters_set_shingles": (ctypes.c_int, _vp, ctypes.c_uint64, _u64p, _sz),
    "llmd_dedup_clusters_finish": (ctypes.c_int, _vp),
    "llmd_dedup_clusters_result": (ctypes.c_int, _vp, ctypes.c_uint64, ctypes.POINTER(_Verdict)),
    "llmd_dedup_clusters_stats": (ctypes.c_int, _vp, ctypes.POINTER(_ClusterStats)),
    "llmd_exact_hash": (ctypes.c_int, _cp, _sz, ctypes.c_uint, _u8p),
    "llmd_fold_text": (ctypes.c_int, _cp, _sz, _P(_vp), _P(_sz)),
    "llmd_minhash_jaccard": (ctypes.c_double, _u32p, _u32p, ctypes.c_uint32),
    "llmd_lsh_optimal_params": (ctypes.c_int, ctypes.c_double, ctypes.c_uint32, _P(ctypes.c_uint32),
                                _P(ctypes.c_uint32)),
    "llmd_lsh_band_keys": (ctypes.c_int, _u32p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, _u8p),
    "llmd_minhasher_new": (ctypes.c_int, _P(_vp), _P(_MinhashOptions)),
    "llmd_minhasher_free": (None, _vp),
    "llmd_minhasher_uses_simd": (ctypes.c_int, _vp),
    "llmd_minhash": (ctypes.c_int, _vp, _cp, _sz, _u32p, _P(_sz)),
    "llmd_minhash_batch": (ctypes.c_int, _vp, _P(_cp), _P(_sz), _sz, ctypes.c_uint, _u32p, _P(_sz)),
    "llmd_minhash_shingles": (ctypes.c_int, _vp, _cp, _sz, _u32p, _P(_u64p), _P(_sz)),
    "llmd_lsh_index_new": (ctypes.c_int, _P(_vp), _P(_MinhashOptions), _P(_LshOptions)),
    "llmd_lsh_index_load": (ctypes.c_int, _P(_vp), _cp, _P(_MinhashOptions)),
    "llmd_lsh_index_free": (None, _vp),
    "llmd_lsh_index_bands": (ctypes.c_uint32, _vp),
    "llmd_lsh_index_rows": (ctypes.c_uint32, _vp),
    "llmd_lsh_index_count": (ctypes.c_uint64, _vp),
    "llmd_lsh_index_insert": (ctypes.c_int, _vp, _cp, _sz, _u32p, ctypes.c_uint64, _P(_Match)),
    "llmd_lsh_index_insert_shingles": (ctypes.c_int, _vp, _cp, _sz, _u32p, _u64p, _sz, ctypes.c_uint64,
                                       _P(_Match)),
    "llmd_lsh_index_query": (ctypes.c_int, _vp, _u32p, _u64p, _sz, _P(_sz)),
    "llmd_lsh_index_representative": (ctypes.c_uint64, _vp, ctypes.c_uint64),
    "llmd_lsh_index_key": (_vp, _vp, ctypes.c_uint64, _P(_sz)),
    "llmd_lsh_index_signature": (_u32p, _vp, ctypes.c_uint64),
    "llmd_lsh_index_save": (ctypes.c_int, _vp, _cp),
    "llmd_exact_set_new": (ctypes.c_int, _P(_vp), _P(_ExactOptions)),
    "llmd_exact_set_free": (None, _vp),
    "llmd_exact_set_insert": (ctypes.c_int, _vp, _cp, _P(ctypes.c_int)),
    "llmd_exact_set_contains": (ctypes.c_int, _vp, _cp),
    "llmd_exact_set_count": (ctypes.c_uint64, _vp),
    "llmd_exact_set_memory": (ctypes.c_uint64, _vp),
    "llmd_line_dedup_new": (ctypes.c_int, _P(_vp), _P(_LineDedupOptions)),
    "llmd_line_dedup_free": (None, _vp),
    "llmd_line_dedup_count": (ctypes.c_int, _vp, _cp, _sz),
    "llmd_line_dedup_filter": (ctypes.c_int, _vp, _cp, _sz, _P(_vp), _P(_sz), _P(_sz)),
})
