"""Streaming JSONL(.zst) line reading through the library's reader."""
import ctypes

from ._lib import Api, Handle, c_int, check, to_bytes

__all__ = ["JsonlReader"]

_vp = ctypes.c_void_p


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("max_line_bytes", ctypes.c_size_t)]


_api = Api({
    "llmd_reader_open": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_char_p, ctypes.POINTER(_Options)),
    "llmd_reader_next_line": (ctypes.c_int, _vp, ctypes.POINTER(_vp), ctypes.POINTER(ctypes.c_size_t)),
    "llmd_reader_line_number": (ctypes.c_uint64, _vp),
    "llmd_reader_free": (None, _vp),
})


class JsonlReader(Handle):
    """Iterates the lines of a plain or zstd-compressed file (detected by content) as bytes.

    >>> for line in JsonlReader("corpus.jsonl.zst"): ...

    max_line_bytes: a longer line raises LlmdError (LLMD_ERR_RANGE); 0 = 2 GiB.
    """

    _what = "JsonlReader"

    def _release(self, handle):
        _api.llmd_reader_free(handle)

    def __init__(self, path, max_line_bytes=0):
        o = _Options(1, c_int(max_line_bytes, ctypes.c_size_t, "max_line_bytes"))
        h = _vp()
        check(_api.llmd_reader_open(ctypes.byref(h), to_bytes(str(path)), ctypes.byref(o)))
        self._set_handle(h)

    def __iter__(self):
        ptr, n = _vp(), ctypes.c_size_t()
        while True:
            with self._use() as h:   # the line points into the reader: copy it while it is alive
                check(_api.llmd_reader_next_line(h, ctypes.byref(ptr), ctypes.byref(n)))
                if not ptr.value:
                    return
                line = ctypes.string_at(ptr.value, n.value)
            yield line

    @property
    def line_number(self):
        with self._use() as h:
            return _api.llmd_reader_line_number(h)
