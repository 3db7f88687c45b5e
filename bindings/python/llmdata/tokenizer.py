"""BPE tokenization (llmdata/tokenizer.h) through ctypes: Hugging Face tokenizer.json files as
they are and tiktoken rank files, with the ids the reference libraries give.

>>> import llmdata
>>> tok = llmdata.Tokenizer("examples/data/gpt2-tokenizer.json")
>>> tok.encode("Hello world!")          # add_special_tokens=True by default, as in HF tokenizers
[15496, 995, 0]
>>> tok.decode([15496, 995, 0])
'Hello world!'
>>> ids, offsets = tok.encode_batch(["a b", "c"])      # numpy arrays: flat ids, per-text offsets

A Tokenizer is immutable and may be shared by any number of threads (the C calls release the
GIL).  Errors raise llmdata.LlmdError (a subclass per status) with the library's message.

Defaults follow Hugging Face `tokenizers`: encode and encode_batch add the special tokens of the
tokenizer's post-processor (add_special_tokens=True; GPT-2 has none, BERT/Llama-style files add
[CLS]/<s>...), decode keeps special tokens unless skip_special_tokens=True.  Unlike HF, encode_batch
returns flat numpy arrays (ids, offsets) instead of a list of Encoding objects.
"""
import ctypes
import os
from typing import Iterable, List, Optional, Tuple, Union

import numpy as np

from ._lib import Api, Handle, c_int, check, int_array, lib, to_bytes

__all__ = ["Tokenizer", "ADD_SPECIAL", "SPECIAL_AS_TEXT", "MATCH_SPECIAL", "SKIP_SPECIAL"]

ADD_SPECIAL = 1
SPECIAL_AS_TEXT = 2
MATCH_SPECIAL = 4
SKIP_SPECIAL = 8

_sz = ctypes.c_size_t
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_u32p = ctypes.POINTER(ctypes.c_uint32)
_szp = ctypes.POINTER(ctypes.c_size_t)


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("tiktoken_pattern", ctypes.c_char_p), ("force_regex", ctypes.c_int)]


_api = Api({
    "llmd_tokenizer_load": (ctypes.c_int, ctypes.POINTER(_vp), _cp, ctypes.POINTER(_Options)),
    "llmd_tokenizer_free": (None, _vp),
    "llmd_tokenizer_encode": (ctypes.c_int, _vp, _cp, _sz, ctypes.c_uint, ctypes.POINTER(_u32p), _szp,
                              ctypes.POINTER(_szp)),
    "llmd_tokenizer_encode_batch": (ctypes.c_int, _vp, ctypes.POINTER(_cp), _szp, _sz, ctypes.c_uint, ctypes.c_uint,
                                    ctypes.POINTER(_u32p), ctypes.POINTER(_szp)),
    "llmd_tokenizer_decode": (ctypes.c_int, _vp, _u32p, _sz, ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p), _szp),
    "llmd_tokenizer_token_to_id": (ctypes.c_int, _vp, _cp, _sz, ctypes.POINTER(ctypes.c_uint32)),
    "llmd_tokenizer_id_to_token": (ctypes.c_int, _vp, ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p), _szp),
    "llmd_tokenizer_vocab_size": (ctypes.c_uint64, _vp),
    "llmd_tokenizer_is_special": (ctypes.c_int, _vp, ctypes.c_uint32),
    "llmd_tokenizer_eos_id": (ctypes.c_int64, _vp),
})


def _flags(add_special_tokens, special_as_text, allow_special):
    f = ADD_SPECIAL if add_special_tokens else 0
    if special_as_text and allow_special:
        raise ValueError("special_as_text and allow_special exclude each other")
    if special_as_text:
        f |= SPECIAL_AS_TEXT
    if allow_special:
        f |= MATCH_SPECIAL
    return f


class Tokenizer(Handle):
    """A loaded tokenizer: Tokenizer(path, tiktoken_pattern=None).

    path: a Hugging Face tokenizer.json (BPE) or a tiktoken rank file (.tiktoken; the pattern
    name -- gpt2, r50k, p50k, cl100k, o200k -- is guessed from the file name unless given).
    close() while other threads are encoding is safe: the tokenizer is freed when they return."""

    _what = "tokenizer"

    def _release(self, handle):
        _api.llmd_tokenizer_free(handle)

    def __init__(self, path: "Union[str, os.PathLike]", tiktoken_pattern: Optional[str] = None):
        self._args = (str(path), tiktoken_pattern)
        opts = _Options(1, to_bytes(tiktoken_pattern) if tiktoken_pattern else None, 0)
        h = _vp()
        check(_api.llmd_tokenizer_load(ctypes.byref(h), to_bytes(str(path)), ctypes.byref(opts)))
        self._set_handle(h)

    @classmethod
    def from_file(cls, path: "Union[str, os.PathLike]", tiktoken_pattern: Optional[str] = None) -> "Tokenizer":
        """Tokenizer.from_file(path), the Hugging Face `tokenizers` spelling of Tokenizer(path)."""
        return cls(path, tiktoken_pattern)

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        """HF `tokenizers` spelling of vocab_size (1 + the largest id, added tokens included;
        with_added_tokens=False is not supported and raises ValueError rather than answer wrongly)."""
        if not with_added_tokens:
            raise ValueError("get_vocab_size(with_added_tokens=False) is not supported; use vocab_size")
        return self.vocab_size

    def decode_batch(self, sequences: Iterable[Iterable[int]], skip_special_tokens: bool = False) -> List[str]:
        """decode() of every id sequence, as HF `tokenizers` decode_batch."""
        return [self.decode(ids, skip_special_tokens) for ids in sequences]

    def __reduce__(self):
        """Pickles by its constructor arguments (the file by path): the unpickled tokenizer loads
        the same file again -- for multiprocessing / Dask workers sharing the file system."""
        return (type(self), self._args)

    @property
    def vocab_size(self) -> int:
        """1 + the largest id (model vocabulary and added tokens)."""
        with self._use() as h:
            return int(_api.llmd_tokenizer_vocab_size(h))

    @property
    def eos_id(self) -> Optional[int]:
        """The end-of-text token's id, or None."""
        with self._use() as h:
            v = int(_api.llmd_tokenizer_eos_id(h))
        return None if v < 0 else v

    def is_special(self, token_id: int) -> bool:
        """True if token_id is a special added token (an int in [0, 2^32))."""
        token_id = c_int(token_id, ctypes.c_uint32, "token_id")
        with self._use() as h:
            return bool(_api.llmd_tokenizer_is_special(h, token_id))

    def encode(self, text: Union[str, bytes], add_special_tokens: bool = True, offsets: bool = False,
               numpy: bool = False, special_as_text: bool = False, allow_special: bool = False):
        """Token ids of text (str or UTF-8 bytes): a list of int, or a numpy uint32 array with
        numpy=True.  With offsets=True returns (ids, offsets): offsets as a list of (start, end)
        UTF-8 byte offsets, or an (n, 2) uint64 array.

        add_special_tokens (default True, as HF tokenizers): add what the tokenizer.json
        post-processor adds (BOS/CLS/SEP...); tiktoken files and GPT-2 add nothing.
        special_as_text: special-token strings in text are ordinary text; allow_special: they are
        matched as special tokens (tiktoken's allowed_special="all")."""
        if not isinstance(text, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"encode expects one text (str or bytes), got {type(text).__name__}; "
                            "use encode_batch for a list of texts")
        data = to_bytes(text)
        ids = _u32p()
        n = _sz()
        offs = _szp()
        flags = _flags(add_special_tokens, special_as_text, allow_special)
        with self._use() as h:
            check(_api.llmd_tokenizer_encode(h, data, len(data), flags, ctypes.byref(ids), ctypes.byref(n),
                                             ctypes.byref(offs) if offsets else None))
        try:
            arr = np.ctypeslib.as_array(ids, shape=(n.value,)).copy() if n.value else np.zeros(0, np.uint32)
            out = arr if numpy else arr.tolist()
            if not offsets:
                return out
            o = (np.ctypeslib.as_array(offs, shape=(n.value, 2)).astype(np.uint64) if n.value
                 else np.zeros((0, 2), np.uint64))
            return out, (o if numpy else [tuple(int(v) for v in row) for row in o])
        finally:
            lib().llmd_free(ids)
            if offsets:
                lib().llmd_free(offs)

    def encode_batch(self, texts: Iterable[Union[str, bytes]], add_special_tokens: bool = True, threads: int = 0,
                     special_as_text: bool = False, allow_special: bool = False) -> Tuple[np.ndarray, np.ndarray]:
        """Encodes many texts (an iterable of str or bytes -- not one str) on `threads` threads
        (0 = one per CPU).  Returns (ids, offsets): ids a flat numpy uint32 array, offsets a numpy
        uint64 array of len(texts) + 1 so that the ids of text i are ids[offsets[i]:offsets[i+1]].
        add_special_tokens defaults to True as in HF tokenizers (see encode)."""
        if isinstance(texts, (str, bytes, bytearray, memoryview)):
            # a str is iterable: it would silently be encoded as one text per character
            raise TypeError(f"encode_batch expects a list of texts, got a single {type(texts).__name__}; "
                            "use encode(text), or encode_batch([text])")
        threads = c_int(threads, ctypes.c_uint, "threads")
        datas = [to_bytes(t) for t in texts]
        n = len(datas)
        arr = (_cp * max(n, 1))(*datas)
        lens = (_sz * max(n, 1))(*[len(d) for d in datas])
        ids = _u32p()
        offs = _szp()
        flags = _flags(add_special_tokens, special_as_text, allow_special)
        with self._use() as h:
            check(_api.llmd_tokenizer_encode_batch(h, arr, lens, n, flags, threads, ctypes.byref(ids),
                                                   ctypes.byref(offs)))
        try:
            o = np.ctypeslib.as_array(offs, shape=(n + 1,)).astype(np.uint64)
            total = int(o[-1])
            i = np.ctypeslib.as_array(ids, shape=(total,)).copy() if total else np.zeros(0, np.uint32)
            return i, o
        finally:
            lib().llmd_free(ids)
            lib().llmd_free(offs)

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = False) -> str:
        """Text of the ids (any iterable of ints or a numpy array), through the tokenizer's decoder."""
        a = int_array(ids if isinstance(ids, np.ndarray) else list(ids), np.uint32, "ids")
        out = ctypes.c_void_p()
        n = _sz()
        with self._use() as h:
            check(_api.llmd_tokenizer_decode(h, a.ctypes.data_as(_u32p), a.size,
                                             SKIP_SPECIAL if skip_special_tokens else 0, ctypes.byref(out),
                                             ctypes.byref(n)))
        try:
            return ctypes.string_at(out, n.value).decode("utf-8")
        finally:
            lib().llmd_free(out)

    def token_to_id(self, token: Union[str, bytes]) -> Optional[int]:
        """Id of a vocabulary string (byte-level form for byte-level tokenizers), or None."""
        data = to_bytes(token)
        v = ctypes.c_uint32()
        with self._use() as h:
            if _api.llmd_tokenizer_token_to_id(h, data, len(data), ctypes.byref(v)) != 0:
                return None
        return v.value

    def id_to_token(self, token_id: int) -> Union[str, bytes]:
        """Vocabulary string of an id (str; bytes when it is not UTF-8, e.g. tiktoken pieces)."""
        token_id = c_int(token_id, ctypes.c_uint32, "token_id")
        p = ctypes.c_void_p()
        n = _sz()
        with self._use() as h:
            check(_api.llmd_tokenizer_id_to_token(h, token_id, ctypes.byref(p), ctypes.byref(n)))
            raw = ctypes.string_at(p, n.value)   # points into the tokenizer: copy while it is alive
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
