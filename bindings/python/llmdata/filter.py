"""Quality filters (llmdata/filter.h): length bounds, C4 and Gopher rules, through ctypes.

>>> import llmdata
>>> f = llmdata.QualityFilter()
>>> r = f.apply("Some text ...")
>>> r.keep, r.reason, r.text          # reason: rule name that dropped it; text: with C4 lines removed
>>> [r.reason for r in f.apply_batch(["...", "..."], threads=2)]

A QualityFilter is immutable and may be shared by threads.
"""
import collections
import ctypes

from ._lib import Handle, check, fn, lib, to_bytes

__all__ = ["QualityFilter", "FilterResult", "filter_rules"]

_N_RULES = 17
_vp = ctypes.c_void_p
_sz = ctypes.c_size_t


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("min_bytes", ctypes.c_uint64), ("max_bytes", ctypes.c_uint64),
                ("c4", ctypes.c_int), ("gopher", ctypes.c_int), ("bad_words_file", ctypes.c_char_p)]


class _Result(ctypes.Structure):
    _fields_ = [("keep", ctypes.c_int), ("reason", ctypes.c_int), ("lines_removed", ctypes.c_uint32 * _N_RULES),
                ("text", ctypes.c_void_p), ("len", _sz)]


FilterResult = collections.namedtuple("FilterResult", "keep reason text lines_removed")
_fns = {}


def _f(name):
    if not _fns:
        _fns.update({
            "name": fn("llmd_filter_rule_name", ctypes.c_char_p, ctypes.c_int),
            "new": fn("llmd_filter_new", ctypes.c_int, ctypes.POINTER(_vp), ctypes.POINTER(_Options)),
            "free": fn("llmd_filter_free", None, _vp),
            "apply": fn("llmd_filter_apply", ctypes.c_int, _vp, ctypes.c_char_p, _sz, ctypes.POINTER(_Result)),
            "batch": fn("llmd_filter_batch", ctypes.c_int, _vp, ctypes.POINTER(ctypes.c_char_p),
                        ctypes.POINTER(_sz), _sz, ctypes.c_uint, ctypes.POINTER(_Result)),
        })
    return _fns[name]


def _rules():
    return [_f("name")(i).decode() for i in range(_N_RULES)]


FILTER_RULES = None


def filter_rules():
    """Names of the filter rules, in the order of llmd_filter_rule."""
    global FILTER_RULES
    if FILTER_RULES is None:
        FILTER_RULES = _rules()
    return list(FILTER_RULES)


class QualityFilter(Handle):
    """QualityFilter(min_bytes=0, max_bytes=0, c4=True, gopher=True, bad_words_file=None)."""

    def _release(self, handle):
        _f("free")(handle)

    def __init__(self, min_bytes=0, max_bytes=0, c4=True, gopher=True, bad_words_file=None):
        global FILTER_RULES
        if FILTER_RULES is None:
            FILTER_RULES = _rules()
        self._args = (min_bytes, max_bytes, c4, gopher, None if bad_words_file is None else str(bad_words_file))
        self._h = None
        o = _Options(1, min_bytes, max_bytes, int(bool(c4)), int(bool(gopher)),
                     to_bytes(str(bad_words_file)) if bad_words_file else None)
        h = _vp()
        check(_f("new")(ctypes.byref(h), ctypes.byref(o)))
        self._h = h

    def __reduce__(self):
        """Pickles by its constructor arguments (the bad-words file by path)."""
        return (type(self), self._args)

    def apply(self, text):
        """FilterResult(keep, reason (rule name or None), text (str, lines removed by C4 rules
        applied), lines_removed ({rule: count}))."""
        data = to_bytes(text)
        r = _Result()
        check(_f("apply")(self._h, data, len(data), ctypes.byref(r)))
        return _take(r, text, data)

    def apply_batch(self, texts, threads=0):
        """apply() over a list of texts on `threads` threads (0 = one per CPU); returns a list of
        FilterResult in input order."""
        datas = [to_bytes(t) for t in texts]
        n = len(datas)
        if n == 0:
            return []
        arr = (ctypes.c_char_p * n)(*datas)
        lens = (_sz * n)(*[len(d) for d in datas])
        res = (_Result * n)()
        check(_f("batch")(self._h, arr, lens, n, int(threads), res))
        out = []
        for i in range(n):   # _take frees every C-allocated text, even when one decode fails
            out.append(_take(res[i], texts[i], datas[i]))
        return out


def _take(r, text, data):
    """Converts (and frees) one C result."""
    try:
        out = ctypes.string_at(r.text, r.len).decode("utf-8", "replace") if r.text else (
            text if isinstance(text, str) else data.decode("utf-8", "replace"))
    finally:
        if r.text:
            lib().llmd_free(r.text)
            r.text = None
    removed = {FILTER_RULES[i]: int(r.lines_removed[i]) for i in range(_N_RULES) if r.lines_removed[i]}
    return FilterResult(bool(r.keep), FILTER_RULES[r.reason] if r.reason >= 0 else None, out, removed)

