"""Dedup (llmdata/dedup.h) through ctypes: exact hashes and set, repeated lines, MinHash
signatures (numpy uint32 arrays), LSH band keys and the persistent near-duplicate index.

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
an LshIndex, ExactSet or LineDedup is used by one thread at a time.
"""
import collections
import ctypes

import numpy as np

from ._lib import check, fn, to_bytes

__all__ = ["MinHasher", "LshIndex", "LshMatch", "ExactSet", "LineDedup", "exact_hash", "fold_text",
           "jaccard", "lsh_optimal_params", "band_keys", "BAND_KEY_SIZE"]

BAND_KEY_SIZE = 12
_u8p = ctypes.POINTER(ctypes.c_uint8)
_u32p = ctypes.POINTER(ctypes.c_uint32)
_sz = ctypes.c_size_t
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p


class _MinhashOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("num_perm", ctypes.c_uint32), ("ngram", ctypes.c_uint32),
                ("shingle_mode", ctypes.c_int), ("seed", ctypes.c_uint64), ("force_portable", ctypes.c_int)]


class _LshOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("threshold", ctypes.c_double), ("bands", ctypes.c_uint32),
                ("rows", ctypes.c_uint32), ("verify_exact", ctypes.c_int)]


class _ExactOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("capacity", ctypes.c_uint64), ("max_bytes", ctypes.c_uint64),
                ("key_bytes", ctypes.c_uint)]


class _Match(ctypes.Structure):
    _fields_ = [("entry", ctypes.c_uint64), ("duplicate", ctypes.c_int), ("match", ctypes.c_uint64),
                ("match_jaccard", ctypes.c_double), ("representative", ctypes.c_uint64),
                ("candidates", ctypes.c_uint64)]


LshMatch = collections.namedtuple("LshMatch", "entry duplicate match match_jaccard representative candidates")

_fns = {}


def _f(name, restype, *args):
    f = _fns.get(name)
    if f is None:
        f = _fns[name] = fn(name, restype, *args)
    return f


def _u32(arr):
    return arr.ctypes.data_as(_u32p)


def _sig(sig, num_perm):
    a = np.ascontiguousarray(sig, dtype=np.uint32)
    if a.ndim != 1 or a.shape[0] != num_perm:
        raise ValueError(f"signature must be a 1-d array of {num_perm} values, got shape {a.shape}")
    return a


def exact_hash(text, normalize=False):
    """16-byte content hash: XXH3-128 of the bytes, or of the folded text with normalize=True."""
    out = (ctypes.c_uint8 * 16)()
    b = to_bytes(text)
    check(_f("llmd_exact_hash", ctypes.c_int, _cp, _sz, ctypes.c_uint, _u8p)(b, len(b), 1 if normalize else 0, out))
    return bytes(out)


def fold_text(text):
    """The folded text (lower-cased words joined by one space) as str (bytes for a bytes input)."""
    b = to_bytes(text)
    out = _vp()
    n = _sz()
    check(_f("llmd_fold_text", ctypes.c_int, _cp, _sz, ctypes.POINTER(_vp), ctypes.POINTER(_sz))(
        b, len(b), ctypes.byref(out), ctypes.byref(n)))
    try:
        r = ctypes.string_at(out.value, n.value) if n.value else b""
    finally:
        _f("llmd_free", None, _vp)(out)
    return r if isinstance(text, (bytes, bytearray, memoryview)) else r.decode("utf-8")


def jaccard(a, b):
    """Estimated Jaccard of two signatures (0.0 if either is empty: all 0xFFFFFFFF)."""
    a = np.ascontiguousarray(a, dtype=np.uint32)
    b = _sig(b, a.shape[0])
    return _f("llmd_minhash_jaccard", ctypes.c_double, _u32p, _u32p, ctypes.c_uint32)(_u32(a), _u32(b), a.shape[0])


def lsh_optimal_params(threshold, num_perm=128):
    """datasketch's optimal (bands, rows) for a threshold (weights 0.5/0.5)."""
    b, r = ctypes.c_uint32(), ctypes.c_uint32()
    check(_f("llmd_lsh_optimal_params", ctypes.c_int, ctypes.c_double, ctypes.c_uint32,
             ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32))(
        threshold, num_perm, ctypes.byref(b), ctypes.byref(r)))
    return b.value, r.value


def band_keys(sig, bands, rows):
    """The band keys of a signature: a list of `bands` 12-byte bytes objects."""
    a = np.ascontiguousarray(sig, dtype=np.uint32)
    out = (ctypes.c_uint8 * (bands * BAND_KEY_SIZE))()
    check(_f("llmd_lsh_band_keys", ctypes.c_int, _u32p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, _u8p)(
        _u32(a), a.shape[0], bands, rows, out))
    raw = bytes(out)
    return [raw[i * BAND_KEY_SIZE:(i + 1) * BAND_KEY_SIZE] for i in range(bands)]


class MinHasher:
    """MinHash signatures.  mode: "words" (default) or "chars"."""

    def __init__(self, num_perm=128, ngram=5, mode="words", seed=1, force_portable=False):
        if mode not in ("words", "chars"):
            raise ValueError(f"mode must be 'words' or 'chars', got {mode!r}")
        self._opts = _MinhashOptions(1, num_perm, ngram, 0 if mode == "words" else 1, seed, 1 if force_portable else 0)
        self._h = _vp()
        check(_f("llmd_minhasher_new", ctypes.c_int, ctypes.POINTER(_vp), ctypes.POINTER(_MinhashOptions))(
            ctypes.byref(self._h), ctypes.byref(self._opts)))
        self.num_perm = num_perm
        self.ngram = ngram
        self.mode = mode
        self.seed = seed

    def __del__(self):
        h = getattr(self, "_h", None)
        if h:
            _f("llmd_minhasher_free", None, _vp)(h)
            self._h = None

    @property
    def uses_simd(self):
        return bool(_f("llmd_minhasher_uses_simd", ctypes.c_int, _vp)(self._h))

    def signature(self, text):
        """numpy uint32 array of num_perm values."""
        b = to_bytes(text)
        out = np.empty(self.num_perm, dtype=np.uint32)
        check(_f("llmd_minhash", ctypes.c_int, _vp, _cp, _sz, _u32p, ctypes.POINTER(_sz))(
            self._h, b, len(b), _u32(out), None))
        return out

    def signatures(self, texts, threads=0):
        """numpy uint32 array of shape (len(texts), num_perm), computed on `threads` threads."""
        bs = [to_bytes(t) for t in texts]
        n = len(bs)
        out = np.empty((n, self.num_perm), dtype=np.uint32)
        if n == 0:
            return out
        ptrs = (_cp * n)(*bs)
        lens = (_sz * n)(*[len(b) for b in bs])
        check(_f("llmd_minhash_batch", ctypes.c_int, _vp, ctypes.POINTER(_cp), ctypes.POINTER(_sz), _sz,
                 ctypes.c_uint, _u32p, ctypes.POINTER(_sz))(self._h, ptrs, lens, n, threads, _u32(out), None))
        return out

    def shingles(self, text):
        """(signature, shingle set): the set is a sorted numpy uint64 array of the distinct
        XXH3-64 shingle hashes, for LshIndex(verify_exact=True).insert(..., shingles=...)."""
        b = to_bytes(text)
        sig = np.empty(self.num_perm, dtype=np.uint32)
        p = ctypes.POINTER(ctypes.c_uint64)()
        n = _sz()
        check(_f("llmd_minhash_shingles", ctypes.c_int, _vp, _cp, _sz, _u32p,
                 ctypes.POINTER(ctypes.POINTER(ctypes.c_uint64)), ctypes.POINTER(_sz))(
            self._h, b, len(b), _u32(sig), ctypes.byref(p), ctypes.byref(n)))
        try:
            sh = np.ctypeslib.as_array(p, shape=(n.value,)).copy() if n.value else np.empty(0, dtype=np.uint64)
        finally:
            _f("llmd_free", None, _vp)(ctypes.cast(p, _vp))
        return sig, sh

    def signature_bytes(self, text):
        """The documented byte layout: num_perm little-endian uint32."""
        return self.signature(text).astype("<u4").tobytes()


class LshIndex:
    """Near-duplicate index.  Build with a MinHasher (whose parameters are stored), or load()."""

    def __init__(self, hasher=None, threshold=0.8, bands=0, rows=0, verify_exact=False, _handle=None,
                 _num_perm=None):
        self._x = _vp()
        if _handle is not None:
            self._x = _handle
            self.num_perm = _num_perm
            return
        hasher = hasher or MinHasher()
        lo = _LshOptions(1, threshold, bands, rows, 1 if verify_exact else 0)
        check(_f("llmd_lsh_index_new", ctypes.c_int, ctypes.POINTER(_vp), ctypes.POINTER(_MinhashOptions),
                 ctypes.POINTER(_LshOptions))(ctypes.byref(self._x), ctypes.byref(hasher._opts), ctypes.byref(lo)))
        self.num_perm = hasher.num_perm

    @classmethod
    def load(cls, path, hasher=None):
        """Loads a saved index; with a hasher, its parameters must match the file's."""
        x = _vp()
        check(_f("llmd_lsh_index_load", ctypes.c_int, ctypes.POINTER(_vp), _cp, ctypes.POINTER(_MinhashOptions))(
            ctypes.byref(x), to_bytes(str(path)), ctypes.byref(hasher._opts) if hasher else None))
        obj = cls(_handle=x, _num_perm=0)
        # num_perm: the header field at byte 12 (the file was just validated by the library)
        with open(path, "rb") as f:
            obj.num_perm = int.from_bytes(f.read(16)[12:16], "little")
        return obj

    def __del__(self):
        x = getattr(self, "_x", None)
        if x:
            _f("llmd_lsh_index_free", None, _vp)(x)
            self._x = None

    @property
    def bands(self):
        return _f("llmd_lsh_index_bands", ctypes.c_uint32, _vp)(self._x)

    @property
    def rows(self):
        return _f("llmd_lsh_index_rows", ctypes.c_uint32, _vp)(self._x)

    def __len__(self):
        return _f("llmd_lsh_index_count", ctypes.c_uint64, _vp)(self._x)

    def insert(self, key, sig, priority=0, shingles=None):
        """Inserts (key, signature[, shingle set from MinHasher.shingles]); returns an LshMatch
        (duplicate, best match and its Jaccard, representative)."""
        k = to_bytes(key)
        s = _sig(sig, self.num_perm)
        m = _Match()
        if shingles is None:
            check(_f("llmd_lsh_index_insert", ctypes.c_int, _vp, _cp, _sz, _u32p, ctypes.c_uint64,
                     ctypes.POINTER(_Match))(self._x, k, len(k), _u32(s), priority, ctypes.byref(m)))
        else:
            sh = np.ascontiguousarray(shingles, dtype=np.uint64)
            check(_f("llmd_lsh_index_insert_shingles", ctypes.c_int, _vp, _cp, _sz, _u32p,
                     ctypes.POINTER(ctypes.c_uint64), _sz, ctypes.c_uint64, ctypes.POINTER(_Match))(
                self._x, k, len(k), _u32(s), sh.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)), sh.shape[0],
                priority, ctypes.byref(m)))
        return LshMatch(m.entry, bool(m.duplicate), m.match if m.duplicate else None, m.match_jaccard,
                        m.representative, m.candidates)

    def query(self, sig):
        """Entries whose estimated Jaccard with sig is >= the threshold (sorted list)."""
        s = _sig(sig, self.num_perm)
        q = _f("llmd_lsh_index_query", ctypes.c_int, _vp, _u32p, ctypes.POINTER(ctypes.c_uint64), _sz,
               ctypes.POINTER(_sz))
        n = _sz()
        check(q(self._x, _u32(s), None, 0, ctypes.byref(n)))
        out = (ctypes.c_uint64 * max(n.value, 1))()
        check(q(self._x, _u32(s), out, n.value, ctypes.byref(n)))
        return list(out[:n.value])

    def representative(self, entry):
        r = _f("llmd_lsh_index_representative", ctypes.c_uint64, _vp, ctypes.c_uint64)(self._x, entry)
        if r == 2 ** 64 - 1:
            raise IndexError(f"entry {entry} out of range")
        return r

    def key(self, entry):
        n = _sz()
        p = _f("llmd_lsh_index_key", _vp, _vp, ctypes.c_uint64, ctypes.POINTER(_sz))(self._x, entry, ctypes.byref(n))
        if not p:
            raise IndexError(f"entry {entry} out of range")
        return ctypes.string_at(p, n.value)

    def signature(self, entry):
        p = _f("llmd_lsh_index_signature", _u32p, _vp, ctypes.c_uint64)(self._x, entry)
        if not p:
            raise IndexError(f"entry {entry} out of range")
        return np.ctypeslib.as_array(p, shape=(self.num_perm,)).copy()

    def save(self, path):
        check(_f("llmd_lsh_index_save", ctypes.c_int, _vp, _cp)(self._x, to_bytes(str(path))))


class ExactSet:
    """A bounded set of 16-byte content hashes (key_bytes=8 keeps 64-bit prefixes)."""

    def __init__(self, capacity=0, max_bytes=0, key_bytes=16):
        self._s = _vp()
        o = _ExactOptions(1, capacity, max_bytes, key_bytes)
        check(_f("llmd_exact_set_new", ctypes.c_int, ctypes.POINTER(_vp), ctypes.POINTER(_ExactOptions))(
            ctypes.byref(self._s), ctypes.byref(o)))

    def __del__(self):
        s = getattr(self, "_s", None)
        if s:
            _f("llmd_exact_set_free", None, _vp)(s)
            self._s = None

    def add(self, h):
        """Inserts a 16-byte hash; True if it was new."""
        if len(h) != 16:
            raise ValueError("hash must be 16 bytes")
        new = ctypes.c_int()
        check(_f("llmd_exact_set_insert", ctypes.c_int, _vp, _cp, ctypes.POINTER(ctypes.c_int))(
            self._s, bytes(h), ctypes.byref(new)))
        return bool(new.value)

    def __contains__(self, h):
        return bool(_f("llmd_exact_set_contains", ctypes.c_int, _vp, _cp)(self._s, bytes(h)))

    def __len__(self):
        return _f("llmd_exact_set_count", ctypes.c_uint64, _vp)(self._s)

    @property
    def memory(self):
        return _f("llmd_exact_set_memory", ctypes.c_uint64, _vp)(self._s)


class LineDedup:
    """Two-pass removal of lines found in >= min_docs documents: count() every document, then
    filter() each one.  filter() returns (text, removed_lines)."""

    def __init__(self, min_docs):
        self._d = _vp()
        check(_f("llmd_line_dedup_new", ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_uint32)(
            ctypes.byref(self._d), min_docs))

    def __del__(self):
        d = getattr(self, "_d", None)
        if d:
            _f("llmd_line_dedup_free", None, _vp)(d)
            self._d = None

    def count(self, text):
        b = to_bytes(text)
        check(_f("llmd_line_dedup_count", ctypes.c_int, _vp, _cp, _sz)(self._d, b, len(b)))

    def filter(self, text):
        b = to_bytes(text)
        out, n, rm = _vp(), _sz(), _sz()
        check(_f("llmd_line_dedup_filter", ctypes.c_int, _vp, _cp, _sz, ctypes.POINTER(_vp), ctypes.POINTER(_sz),
                 ctypes.POINTER(_sz))(self._d, b, len(b), ctypes.byref(out), ctypes.byref(n), ctypes.byref(rm)))
        try:
            r = ctypes.string_at(out.value, n.value) if n.value else b""
        finally:
            _f("llmd_free", None, _vp)(out)
        return (r if isinstance(text, (bytes, bytearray, memoryview)) else r.decode("utf-8")), rm.value
