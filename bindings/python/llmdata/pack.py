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

Training shards (Megatron MMIDIDX .bin/.idx or numpy .npy, plus .boundaries.npy and
.manifest.json; layouts in include/llmdata/pack.h):

>>> stats = llmdata.write_shards(docs, "out/train", seq_len=2048, eos_id=50256, vocab_size=50257)
>>> tokens, boundaries, manifest = llmdata.load_shard("out/train")    # numpy memmaps

A Packer or ShardWriter is used by one thread at a time; ids and options are checked before they
reach C (TypeError for a non-integer, OverflowError outside uint32).  A Packer writing into a
ShardWriter keeps the writer's handle alive until the packer is closed.
"""
import collections
import ctypes
import json
import os
import struct

import numpy as np

from ._lib import Api, Handle, c_int, check, int_array, lib, to_bytes

__all__ = ["Packer", "PackedWindow", "PackStats", "pack_documents", "ShardWriter", "ShardFile", "write_shards",
           "load_shard", "verify_shard"]

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
class _ShardOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("format", ctypes.c_int), ("seq_len", ctypes.c_uint32),
                ("vocab_size", ctypes.c_uint64), ("overwrite", ctypes.c_int), ("unique_names", ctypes.c_int),
                ("run_id", ctypes.c_char_p)]


class _PqShardOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("seq_len", ctypes.c_uint32), ("codec", ctypes.c_int),
                ("compression_level", ctypes.c_int), ("row_group_bytes", ctypes.c_uint64),
                ("file_bytes", ctypes.c_uint64), ("overwrite", ctypes.c_int), ("run_id", ctypes.c_char_p)]


_api = Api({
    "llmd_packer_new": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.POINTER(_Options), _CB, _vp),
    "llmd_packer_free": (None, _vp),
    "llmd_packer_add": (ctypes.c_int, _vp, _u32p, ctypes.c_size_t),
    "llmd_packer_finish": (ctypes.c_int, _vp),
    "llmd_packer_stats": (None, _vp, ctypes.POINTER(_Stats)),
    "llmd_pack_position_ids": (None, ctypes.POINTER(_Window), _u32p),
    "llmd_pack_strategy_parse": (ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)),
    "llmd_shard_writer_open": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_char_p, ctypes.POINTER(_ShardOptions)),
    "llmd_shard_writer_run_id": (ctypes.c_char_p, _vp),
    "llmd_shard_writer_file_count": (ctypes.c_size_t, _vp),
    "llmd_shard_writer_file": (ctypes.c_int, _vp, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p),
                               ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64)),
    "llmd_shard_verify": (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint),
    "llmd_shard_writer_add": (ctypes.c_int, _vp, ctypes.POINTER(_Window)),
    "llmd_shard_writer_finish": (ctypes.c_int, _vp, ctypes.c_char_p),
    "llmd_shard_writer_windows": (ctypes.c_uint64, _vp),
    "llmd_shard_writer_free": (None, _vp),
    # Parquet shards (parquet.h): the same calls, Parquet files
    "llmd_parquet_codec_parse": (ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)),
    "llmd_parquet_shard_writer_open": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_char_p,
                                       ctypes.POINTER(_PqShardOptions)),
    "llmd_parquet_shard_writer_run_id": (ctypes.c_char_p, _vp),
    "llmd_parquet_shard_writer_file_count": (ctypes.c_size_t, _vp),
    "llmd_parquet_shard_writer_file": (ctypes.c_int, _vp, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p),
                                       ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64),
                                       ctypes.POINTER(ctypes.c_uint64)),
    "llmd_parquet_shard_writer_add": (ctypes.c_int, _vp, ctypes.POINTER(_Window)),
    "llmd_parquet_shard_writer_finish": (ctypes.c_int, _vp, ctypes.c_char_p),
    "llmd_parquet_shard_writer_windows": (ctypes.c_uint64, _vp),
    "llmd_parquet_shard_writer_free": (None, _vp),
})


def _opt_id(v, name):
    """An optional token id: None -> -1 (the C API's "none"), else an int in [0, 2^32)."""
    return -1 if v is None else c_int(v, ctypes.c_uint32, name)


class Packer(Handle):
    """Packer(seq_len=2048, strategy="greedy"|"best-fit", bos_id=None, eos_id=None, pad_id=None,
    buffer_windows=1024, vocab_size=0, sink=None).  add(ids) and finish() return the windows
    completed; with sink=ShardWriter(...) the windows go straight into the writer in C (add and
    finish return [] and no window crosses into Python).  The packing of a given ordered stream of
    documents is deterministic: the same stream gives the same windows and shard bytes wherever
    the ids were computed."""

    _what = "Packer"

    def _release(self, handle):
        _api.llmd_packer_free(handle)

    def __init__(self, seq_len=2048, strategy="greedy", bos_id=None, eos_id=None, pad_id=None,
                 buffer_windows=1024, vocab_size=0, sink=None, _sink=None):
        _sink = sink if sink is not None else _sink   # sink: a ShardWriter that receives the windows
        s = ctypes.c_int()
        check(_api.llmd_pack_strategy_parse(to_bytes(strategy), ctypes.byref(s)))
        o = _Options(1, c_int(seq_len, ctypes.c_uint32, "seq_len"), s.value, _opt_id(bos_id, "bos_id"),
                     _opt_id(eos_id, "eos_id"), _opt_id(pad_id, "pad_id"),
                     c_int(buffer_windows, ctypes.c_uint32, "buffer_windows"),
                     c_int(vocab_size, ctypes.c_uint64, "vocab_size"))
        self._out = []
        self._sink = _sink
        self._kwargs = dict(seq_len=seq_len, strategy=strategy, bos_id=bos_id, eos_id=eos_id, pad_id=pad_id,
                            buffer_windows=buffer_windows, vocab_size=vocab_size)
        h = _vp()
        if _sink is None:
            self._cb = _CB(self._on_window)   # kept alive as long as the packer
            check(_api.llmd_packer_new(ctypes.byref(h), ctypes.byref(o), self._cb, None))
            self._set_handle(h)
            return
        # A ShardWriter: windows go straight to llmd_shard_writer_window_fn, no Python per window.
        # The writer's handle is pinned until this packer is freed (closing the writer first must
        # not free what the packer writes into).
        self._cb = ctypes.cast(ctypes.cast(lib_fn(_sink._fn + "_window_fn"), _vp), _CB)
        with _sink._use() as ctx:
            check(_api.llmd_packer_new(ctypes.byref(h), ctypes.byref(o), self._cb, ctx))
            self._set_handle(h, _sink)

    def _on_window(self, _ctx, wp):
        w = wp.contents
        n, k = w.seq_len, w.n_segments
        tokens = np.ctypeslib.as_array(w.tokens, shape=(n,)).copy()
        cu = np.ctypeslib.as_array(w.cu_seqlens, shape=(k + 1,)).copy()
        docs = np.ctypeslib.as_array(w.seg_doc, shape=(k,)).astype(np.int64) if k else np.zeros(0, np.int64)
        pos = np.zeros(n, np.uint32)
        _api.llmd_pack_position_ids(wp, pos.ctypes.data_as(_u32p))
        self._out.append(PackedWindow(tokens, cu, pos, docs))
        return 0

    def _take(self):
        out, self._out = self._out, []
        return out

    def _check_sink(self):
        if self._sink is not None and self._sink.closed:
            raise ValueError("the ShardWriter this Packer writes into is closed")

    def __reduce__(self):
        """Pickles by its constructor arguments before the first document; a packer holding
        documents, or writing into a ShardWriter, refuses (TypeError) rather than lose them."""
        if self._sink is not None:
            raise TypeError("a Packer writing into a ShardWriter cannot be pickled")
        if self.stats.docs_in:
            raise TypeError("a Packer holding documents cannot be pickled (only a new one)")
        return (_rebuild_packer, (self._kwargs,))

    def add(self, ids):
        """Adds one document's ids (integers in [0, 2^32)); returns the windows completed."""
        a = int_array(ids, np.uint32, "ids")
        self._check_sink()
        with self._use() as h:
            check(_api.llmd_packer_add(h, a.ctypes.data_as(_u32p), a.size))
        return self._take()

    def finish(self):
        self._check_sink()
        with self._use() as h:
            check(_api.llmd_packer_finish(h))
        return self._take()

    @property
    def stats(self):
        s = _Stats()
        with self._use() as h:
            _api.llmd_packer_stats(h, ctypes.byref(s))
        return PackStats(*[getattr(s, n) for n, _ in _Stats._fields_])


def lib_fn(name):
    return getattr(lib(), name)


_FORMATS = {"mmidx": 0, "npy": 1}


ShardFile = collections.namedtuple("ShardFile", "name bytes xxh3")


class ShardWriter(Handle):
    """ShardWriter(prefix, format="mmidx"|"npy"|"parquet", seq_len=2048, vocab_size=0, overwrite=False,
    unique_names=False, run_id=None, codec="zstd", row_group_bytes=128 MiB, file_bytes=1 GiB): writes
    PREFIX.bin + PREFIX.idx (or PREFIX.npy), PREFIX.boundaries.npy -- or, for "parquet",
    PREFIX-00000.parquet, ... (one row per window: input_ids, cu_seqlens, document_ids,
    document_offsets; include/llmdata/parquet.h; codec / row_group_bytes / file_bytes apply) -- and,
    at finish(extra), PREFIX.manifest.json listing every file with size and XXH3-64.  Files are written under temporary names and published together at finish
    (manifest last); closing an unfinished writer removes them.  Existing files at PREFIX are an
    error (ConflictError status) unless overwrite=True; unique_names=True names the files
    PREFIX-<run id>.* so one directory can hold many runs.  After finish, `files` lists what was
    written (name, bytes, xxh3) and `run_id` the manifest's run id."""

    _what = "ShardWriter"

    _fn = "llmd_shard_writer"   # the C functions behind it: llmd_shard_writer_* or llmd_parquet_shard_writer_*

    def _release(self, handle):
        getattr(_api, self._fn + "_free")(handle)

    def _call(self, what, *args):
        return getattr(_api, self._fn + "_" + what)(*args)

    def __init__(self, prefix, format="mmidx", seq_len=2048, vocab_size=0, overwrite=False, unique_names=False,
                 run_id=None, codec="zstd", row_group_bytes=128 << 20, file_bytes=1 << 30):
        if format not in _FORMATS and format != "parquet":
            raise ValueError("format must be 'mmidx', 'npy' or 'parquet', got %r" % (format,))
        self.seq_len = c_int(seq_len, ctypes.c_uint32, "seq_len")
        self.format = format
        h = _vp()
        rid = None if run_id is None else to_bytes(str(run_id))
        if format == "parquet":
            if unique_names:
                raise ValueError("unique_names is not available for Parquet shards")
            self._fn = "llmd_parquet_shard_writer"
            cd = ctypes.c_int()
            check(_api.llmd_parquet_codec_parse(to_bytes(codec), ctypes.byref(cd)))
            o = _PqShardOptions(1, self.seq_len, cd.value, 0, c_int(row_group_bytes, ctypes.c_uint64, "row_group_bytes"),
                                c_int(file_bytes, ctypes.c_uint64, "file_bytes"), int(bool(overwrite)), rid)
        else:
            o = _ShardOptions(1, _FORMATS[format], self.seq_len, c_int(vocab_size, ctypes.c_uint64, "vocab_size"),
                              int(bool(overwrite)), int(bool(unique_names)), rid)
        check(self._call("open", ctypes.byref(h), to_bytes(str(prefix)), ctypes.byref(o)))
        self._set_handle(h)
        self._args = (str(prefix), format, seq_len, vocab_size, overwrite, unique_names, run_id, codec,
                      row_group_bytes, file_bytes)
        self._finished = False

    def __reduce__(self):
        """Pickles by its constructor arguments while no window was added: the unpickled writer
        opens its own temporary files at the same prefix.  A writer holding windows (or finished)
        refuses (TypeError): its files cannot move to another process."""
        if self._finished or (not self.closed and self.windows):
            raise TypeError("a ShardWriter holding windows cannot be pickled (only a new one)")
        return (type(self), self._args)

    @property
    def run_id(self):
        with self._use() as h:
            return self._call("run_id", h).decode()

    @property
    def files(self):
        """[ShardFile(name, bytes, xxh3)] published by finish() (the manifest last); [] before."""
        out = []
        with self._use() as h:
            for i in range(self._call("file_count", h)):
                name, nb, x = ctypes.c_char_p(), ctypes.c_uint64(), ctypes.c_uint64()
                extra = (None,) if self.format == "parquet" else ()
                check(self._call("file", h, i, ctypes.byref(name), ctypes.byref(nb), ctypes.byref(x), *extra))
                out.append(ShardFile(name.value.decode(), nb.value, x.value))
        return out

    def add(self, window, doc_offsets=None):
        """Appends one PackedWindow (as returned by Packer).  doc_offsets: per segment, the offset of
        its first token in its document (PackedWindow does not carry them); required for Parquet
        shards, whose document_offsets column holds them (Packer(sink=writer) passes them itself)."""
        tok = int_array(window.tokens, np.uint32, "tokens")
        cu = int_array(window.cu_seqlens, np.uint32, "cu_seqlens")
        k = len(cu) - 1
        if k < 0:
            raise ValueError("cu_seqlens must hold at least one value")
        docs = int_array(window.docs, np.uint64, "docs")
        if docs.size != k:
            raise ValueError(f"docs holds {docs.size} values for {k} segments")
        if doc_offsets is None and self.format == "parquet":
            raise ValueError("Parquet shards record document_offsets: pass doc_offsets (or use Packer(sink=...))")
        offs = np.zeros(max(k, 1), np.uint32) if doc_offsets is None else int_array(doc_offsets, np.uint32, "doc_offsets")
        if doc_offsets is not None and offs.size != k:
            raise ValueError(f"doc_offsets holds {offs.size} values for {k} segments")
        offs = offs if offs.size else np.zeros(1, np.uint32)
        w = _Window(tok.ctypes.data_as(_u32p), tok.size, k, cu.ctypes.data_as(_u32p),
                    docs.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)), offs.ctypes.data_as(_u32p))
        with self._use() as h:
            check(self._call("add", h, ctypes.byref(w)))

    def finish(self, extra=None):
        """Closes the files under their final names; extra: a dict added to the manifest."""
        with self._use() as h:
            check(self._call("finish", h, json.dumps(extra).encode() if extra is not None else None))
        self._finished = True

    @property
    def windows(self):
        with self._use() as h:
            return int(self._call("windows", h))


def _rebuild_packer(kwargs):
    return Packer(**kwargs)


def write_shards(docs, prefix, format="mmidx", extra=None, overwrite=False, **options):
    """Packs an iterable of id sequences (Packer options as keywords: seq_len, strategy, bos_id,
    eos_id, pad_id, buffer_windows, vocab_size) straight into shard files at `prefix`; the windows
    never cross into Python.  Returns the PackStats; the manifest gets the strategy, the statistics
    and `extra` (a dict).  On an error no file is left under a final name."""
    seq_len = options.get("seq_len", 2048)
    with ShardWriter(prefix, format, seq_len, options.get("vocab_size", 0), overwrite=overwrite) as w:
        p = Packer(_sink=w, **options)
        try:
            for d in docs:
                p.add(d)
            p.finish()
            st = p.stats
        finally:
            p.close()
        man = {"strategy": options.get("strategy", "greedy"), "pack": st._asdict()}
        man.update(extra or {})
        w.finish(man)
    return st


_MMIDX_DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64,
                 7: np.float32, 8: np.uint16}


def verify_shard(prefix, checksums=False):
    """Checks that PREFIX.manifest.json and the files it lists are one complete shard: sizes always,
    XXH3-64 checksums too with checksums=True.  Raises LlmdError (CORRUPT status, naming the file)
    on a mix of two runs or a truncated file."""
    check(_api.llmd_shard_verify(to_bytes(str(prefix)), 1 if checksums else 0))


def load_shard(prefix, checksums=False):
    """Opens a shard written by llmdata: returns (tokens [windows, seq_len] numpy memmap,
    boundaries int64 memmap (segment starts in the flattened tokens, total at the end),
    manifest dict).  First checks the files against the manifest (sizes; checksums too with
    checksums=True) and raises LlmdError on any mismatch, so files of two runs never load."""
    prefix = str(prefix)
    verify_shard(prefix, checksums)
    with open(prefix + ".manifest.json", encoding="utf-8") as f:
        man = json.load(f)
    seq_len = man["seq_len"]
    if man["format"] == "parquet":
        return _load_parquet_shard(prefix, man) + (man,)
    if man["format"] == "npy":
        tokens = np.load(prefix + ".npy", mmap_mode="r")
    else:
        with open(prefix + ".idx", "rb") as f:
            head = f.read(34)
        if head[:9] != b"MMIDIDX\x00\x00":
            raise ValueError("%s.idx: not a Megatron MMIDIDX index" % prefix)
        code, nseq = head[17], struct.unpack_from("<Q", head, 18)[0]
        tokens = np.memmap(prefix + ".bin", dtype=np.dtype(_MMIDX_DTYPES[code]).newbyteorder("<"), mode="r",
                           shape=(nseq, seq_len)) if nseq else np.zeros((0, seq_len), _MMIDX_DTYPES[code])
    boundaries = np.load(prefix + ".boundaries.npy", mmap_mode="r")
    return tokens, boundaries, man


def _load_parquet_shard(prefix, man):
    """Parquet shards (PREFIX-00000.parquet, ...): the windows of every file listed in the manifest,
    in order, as an int32 [windows, seq_len] array (read into memory: Parquet pages are compressed),
    and the boundaries rebuilt from each row's cu_seqlens exactly as PREFIX.boundaries.npy holds
    them for the other formats."""
    from .parquet import ParquetFile
    seq_len = man["seq_len"]
    directory = os.path.dirname(prefix)
    wins, bounds = [], []
    base = 0
    for entry in man["files"]:
        if not entry["name"].endswith(".parquet"):
            continue
        f = ParquetFile(os.path.join(directory, entry["name"]))
        try:
            ids = f.read_column("input_ids")
            cu = f.read_column("cu_seqlens")
        finally:
            f.close()
        n = len(ids.offsets) - 1
        wins.append(np.asarray(ids.values, dtype=np.int32).reshape(n, seq_len))
        # row r's cu_seqlens without its closing seq_len, shifted to the flattened position
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(cu.offsets))
        last = np.zeros(len(cu.values), dtype=bool)
        last[np.asarray(cu.offsets[1:], dtype=np.int64) - 1] = True
        bounds.append(((base + rows) * seq_len + cu.values)[~last])
        base += n
    tokens = np.concatenate(wins) if wins else np.zeros((0, seq_len), np.int32)
    bounds.append(np.array([base * seq_len], dtype=np.int64))
    return tokens, np.concatenate(bounds).astype(np.int64)


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
