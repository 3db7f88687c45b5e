"""Streaming JSONL(.zst, .gz) line reading through the library's reader, and JSON object lines
parsed by the library (JsonDoc: the exact text bytes the CLI and the pipeline see)."""
import ctypes
import json
from typing import Any, Dict, Iterator

from ._lib import Api, Handle, c_int, check, error_for, to_bytes

__all__ = ["JsonlReader", "JsonDoc"]

_vp = ctypes.c_void_p


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("max_line_bytes", ctypes.c_size_t)]


_api = Api({
    "llmd_reader_open": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_char_p, ctypes.POINTER(_Options)),
    "llmd_reader_next_line": (ctypes.c_int, _vp, ctypes.POINTER(_vp), ctypes.POINTER(ctypes.c_size_t)),
    "llmd_reader_line_number": (ctypes.c_uint64, _vp),
    "llmd_reader_free": (None, _vp),
    "llmd_json_doc_new": (ctypes.c_int, ctypes.POINTER(_vp)),
    "llmd_json_doc_free": (None, _vp),
    "llmd_json_doc_parse": (ctypes.c_int, _vp, ctypes.c_char_p, ctypes.c_size_t),
    "llmd_json_doc_get_string": (ctypes.c_int, _vp, ctypes.c_char_p, ctypes.POINTER(_vp),
                                 ctypes.POINTER(ctypes.c_size_t)),
})


class JsonlReader(Handle):
    """Reads a JSONL file: plain, zstd- or gzip-compressed (detected by content, not by name).

    >>> for doc in JsonlReader("data/sample.jsonl").documents():   # dicts
    ...     print(doc["text"])
    >>> for line in JsonlReader("corpus.jsonl.zst"): ...            # raw lines as bytes

    Iterating the reader itself yields each line's bytes (no newline; the exact bytes the CLI
    sees); documents() yields each line parsed as a dict.

    max_line_bytes: a longer line raises LlmdError (LLMD_ERR_RANGE); 0 = 2 GiB.
    """

    _what = "JsonlReader"

    def _release(self, handle):
        _api.llmd_reader_free(handle)

    def __init__(self, path, max_line_bytes: int = 0):
        self._args = (str(path), max_line_bytes)
        self._started = False
        o = _Options(1, c_int(max_line_bytes, ctypes.c_size_t, "max_line_bytes"))
        h = _vp()
        check(_api.llmd_reader_open(ctypes.byref(h), to_bytes(str(path)), ctypes.byref(o)))
        self._set_handle(h)

    def __reduce__(self):
        """Pickles as (path, max_line_bytes): a reader not yet iterated is reopened by path on
        unpickling; one already iterated refuses (TypeError) rather than restart silently."""
        if self._started:
            raise TypeError("a JsonlReader that has been iterated cannot be pickled (its position would be lost)")
        return (type(self), self._args)

    def __iter__(self):
        self._started = True
        ptr, n = _vp(), ctypes.c_size_t()
        while True:
            with self._use() as h:   # the line points into the reader: copy it while it is alive
                check(_api.llmd_reader_next_line(h, ctypes.byref(ptr), ctypes.byref(n)))
                if not ptr.value:
                    return
                line = ctypes.string_at(ptr.value, n.value)
            yield line

    def documents(self) -> Iterator[Dict[str, Any]]:
        """Yields every line parsed as a JSON object (a dict); blank lines are skipped.  A line
        that is not a JSON object raises llmdata.ParseError naming the file and line number."""
        path = self._args[0]
        for line in self:
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError as e:
                raise error_for(-4, f"{path}:{self.line_number}: not JSON: {e}") from None
            if not isinstance(doc, dict):
                raise error_for(-12, f"{path}:{self.line_number}: not a JSON object "
                                     f"(a {type(doc).__name__})")
            yield doc

    @property
    def line_number(self) -> int:
        """1-based number of the last line read (0 before the first)."""
        with self._use() as h:
            return _api.llmd_reader_line_number(h)


class JsonDoc(Handle):
    """One JSON object line parsed by the library (strict RFC 8259, UTF-8 checked):

    >>> d = JsonDoc(); d.parse(b'{"text":"caf\\u00e9"}'); d.get_string("text")
    b'caf\xc3\xa9'

    get_string returns the decoded value's UTF-8 bytes exactly as llmd_json_doc_get_string gives
    them (the last member if repeated, unpaired surrogate escapes as U+FFFD) -- what the CLI and the
    pipeline read, which Python's json module does not always match.  One thread at a time;
    pickles as a fresh, empty JsonDoc."""

    _what = "JsonDoc"

    def _release(self, handle):
        _api.llmd_json_doc_free(handle)

    def __init__(self):
        h = _vp()
        check(_api.llmd_json_doc_new(ctypes.byref(h)))
        self._set_handle(h)

    def __reduce__(self):
        return (type(self), ())

    def parse(self, line):
        """Parses one JSON object (bytes or str); LlmdError (PARSE / UTF8 / SCHEMA) if it is not one."""
        b = to_bytes(line)
        with self._use() as h:
            check(_api.llmd_json_doc_parse(h, b, len(b)))

    def get_string(self, key):
        """The string member `key` as UTF-8 bytes; LlmdError NOT_FOUND / SCHEMA (not a string)."""
        k = to_bytes(key)
        p, n = _vp(), ctypes.c_size_t()
        with self._use() as h:
            check(_api.llmd_json_doc_get_string(h, k, ctypes.byref(p), ctypes.byref(n)))
            return ctypes.string_at(p.value, n.value) if n.value else b""
