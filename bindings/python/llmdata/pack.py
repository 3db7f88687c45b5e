"""Sequence packing (llmdata/pack.h) through ctypes.

>>> import llmdata
>>> p = llmdata.Packer(seq_len=4, eos_id=0)
>>> wins = p.add([1, 2, 3]) + p.add([4]) + p.finish()
>>> [w.tokens.tolist() for w in wins]
[[1, 2, 3, 0]]
>>> wins[0].cu_seqlens.tolist()
[0, 4]

Each window is a PackedWindow(tokens: uint32[seq_len], cu_seqlens: uint32[segments + 1],
position_ids: uint32[seq_len], docs: int64[segments] (document index of each segment)).
A Packer is used by one thread at a time.
"""
import collections
import ctypes

import numpy as np

from ._lib import Handle, check, fn

__all__ = ["Packer", "PackedWindow", "PackStats", "pack_documents"]

_vp = ctypes.c_void_p
_u32p = ctypes.POINTER(ctypes.c_uint32)


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("seq_len", ctypes.c_uint32), ("strategy", ctypes.c_int),
                ("bos_id", ctypes.c_int64), ("eos_id", ctypes.c_int64), ("pad_id", ctypes.c_int64),
                ("buffer_windows", ctypes.c_uint32), ("vocab_size", ctypes.c_uint64)]


class _Window(ctypes.Structure):
    _fields_ = [("tokens", _u32p), ("seq_len", ctypes.c_uint32), ("n_segments", ctypes.c_uint32),
                ("cu_seqlens", _u32p), ("seg_doc", ctypes.POINTER(ctypes.c_uint64)), ("seg_offset", _u32p)]


class _Stats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("docs_in", "tokens_in", "windows", "tokens_out", "pad_tokens",
                                                "dropped_tokens", "docs_truncated", "docs_dropped")]


_CB = ctypes.CFUNCTYPE(ctypes.c_int, _vp, ctypes.POINTER(_Window))
PackedWindow = collections.namedtuple("PackedWindow", "tokens cu_seqlens position_ids docs")
PackStats = collections.namedtuple("PackStats", [n for n, _ in _Stats._fields_])
_fns = {}


def _f(name):
    if not _fns:
        _fns.update({
            "new": fn("llmd_packer_new", ctypes.c_int, ctypes.POINTER(_vp), ctypes.POINTER(_Options), _CB, _vp),
            "free": fn("llmd_packer_free", None, _vp),
            "add": fn("llmd_packer_add", ctypes.c_int, _vp, _u32p, ctypes.c_size_t),
            "finish": fn("llmd_packer_finish", ctypes.c_int, _vp),
            "stats": fn("llmd_packer_stats", None, _vp, ctypes.POINTER(_Stats)),
            "pos": fn("llmd_pack_position_ids", None, ctypes.POINTER(_Window), _u32p),
            "parse": fn("llmd_pack_strategy_parse", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)),
        })
    return _fns[name]


class Packer(Handle):
    """Packer(seq_len=2048, strategy="greedy"|"best-fit", bos_id=None, eos_id=None, pad_id=None,
    buffer_windows=1024, vocab_size=0).  add(ids) and finish() return the windows completed."""

    def _release(self, handle):
        _f("free")(handle)

    def __init__(self, seq_len=2048, strategy="greedy", bos_id=None, eos_id=None, pad_id=None,
                 buffer_windows=1024, vocab_size=0):
        self._h = None
        s = ctypes.c_int()
        check(_f("parse")(strategy.encode(), ctypes.byref(s)))
        o = _Options(1, seq_len, s.value, -1 if bos_id is None else bos_id, -1 if eos_id is None else eos_id,
                     -1 if pad_id is None else pad_id, buffer_windows, vocab_size)
        self._out = []
        self._cb = _CB(self._on_window)   # kept alive as long as the packer
        h = _vp()
        check(_f("new")(ctypes.byref(h), ctypes.byref(o), self._cb, None))
        self._h = h

    def _on_window(self, _ctx, wp):
        w = wp.contents
        n, k = w.seq_len, w.n_segments
        tokens = np.ctypeslib.as_array(w.tokens, shape=(n,)).copy()
        cu = np.ctypeslib.as_array(w.cu_seqlens, shape=(k + 1,)).copy()
        docs = np.ctypeslib.as_array(w.seg_doc, shape=(k,)).astype(np.int64) if k else np.zeros(0, np.int64)
        pos = np.zeros(n, np.uint32)
        _f("pos")(wp, pos.ctypes.data_as(_u32p))
        self._out.append(PackedWindow(tokens, cu, pos, docs))
        return 0

    def _take(self):
        out, self._out = self._out, []
        return out

    def add(self, ids):
        a = np.ascontiguousarray(np.asarray(ids, dtype=np.uint32))
        check(_f("add")(self._h, a.ctypes.data_as(_u32p), a.size))
        return self._take()

    def finish(self):
        check(_f("finish")(self._h))
        return self._take()

    @property
    def stats(self):
        s = _Stats()
        _f("stats")(self._h, ctypes.byref(s))
        return PackStats(*[getattr(s, n) for n, _ in _Stats._fields_])


def pack_documents(docs, **options):
    """Packs an iterable of id sequences; returns (tokens uint32[windows, seq_len], windows, stats)."""
    p = Packer(**options)
    try:
        wins = []
        for d in docs:
            wins += p.add(d)
        wins += p.finish()
        seq = options.get("seq_len", 2048)
        arr = np.stack([w.tokens for w in wins]) if wins else np.zeros((0, seq), np.uint32)
        return arr, wins, p.stats
    finally:
        p.close()
