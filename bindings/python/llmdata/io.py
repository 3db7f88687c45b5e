"""Streaming JSONL(.zst) line reading through the library's reader."""
import ctypes

from ._lib import check, fn, to_bytes

__all__ = ["JsonlReader"]

_c = {}


def _f(name, restype, *args):
    if name not in _c:
        _c[name] = fn(name, restype, *args)
    return _c[name]


class JsonlReader:
    """Iterates the lines of a plain or zstd-compressed file (detected by content) as bytes.

    >>> for line in JsonlReader("corpus.jsonl.zst"): ...
    """

    def __init__(self, path, max_line_bytes=0):
        self._h = ctypes.c_void_p()
        check(_f("llmd_reader_open", ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                 ctypes.c_void_p)(ctypes.byref(self._h), to_bytes(str(path)), None))

    def __iter__(self):
        nxt = _f("llmd_reader_next_line", ctypes.c_int, ctypes.c_void_p,
                 ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t))
        ptr, n = ctypes.c_void_p(), ctypes.c_size_t()
        while True:
            check(nxt(self._h, ctypes.byref(ptr), ctypes.byref(n)))
            if not ptr.value:
                return
            yield ctypes.string_at(ptr.value, n.value)

    @property
    def line_number(self):
        return _f("llmd_reader_line_number", ctypes.c_uint64, ctypes.c_void_p)(self._h)

    def close(self):
        if self._h:
            _f("llmd_reader_free", None, ctypes.c_void_p)(self._h)
            self._h = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
