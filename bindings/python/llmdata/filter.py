"""Quality filters that decide as datatrove's do (llmdata/filter.h), through ctypes.

>>> import llmdata
>>> f = llmdata.QualityFilter(filters="c4,badwords,gopher,gopher-repetition,fineweb")
>>> r = f.apply("Some text ...")
>>> r.keep, r.reason, r.text      # reason: rule name that dropped it; text: after C4's line removal
>>> [r.reason for r in f.apply_batch(["...", "..."], threads=2)]
>>> f.stats()                     # per-rule counters over everything this filter applied

Filters: c4, badwords, gopher, gopher-repetition, fineweb, language (see filter.h).  Parameters carry
datatrove's names with the filter as prefix (c4_min_num_sentences=5, gopher_min_doc_words=50,
rep_dup_line_frac=0.3, fineweb_line_punct_thr=0.12, ...).  The language filter predicts with a
fastText model: language_model (path to a .ftz/.bin; default the bundled lid.176.ftz), or with
language_predict(text, k) -> [(label, score), ...] best first when given (it wins over the model).

A QualityFilter may be shared by threads (its stats() counters are updated under a lock).
"""
import collections
import ctypes
import threading

from ._lib import Api, Handle, check, lib, to_bytes

__all__ = ["QualityFilter", "FilterResult", "filter_rules"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_d = ctypes.c_double
_i = ctypes.c_int


class _Pred(ctypes.Structure):
    _fields_ = [("label", ctypes.c_char * 32), ("score", _d)]


class _Ngram(ctypes.Structure):
    _fields_ = [("n", ctypes.c_uint), ("frac", _d)]


_PREDICT = ctypes.CFUNCTYPE(_i, _vp, ctypes.c_void_p, _sz, _sz, ctypes.POINTER(_Pred), ctypes.POINTER(_sz))

# llmd_filter_options, version 3 (field order of include/llmdata/filter.h; llmd_filter_options_init
# writes the whole struct, so every field of the header's version must be here)
_OPTION_FIELDS = [
    ("version", ctypes.c_uint), ("filters", ctypes.c_char_p), ("min_bytes", ctypes.c_uint64),
    ("max_bytes", ctypes.c_uint64),
    ("c4_remove_citations", _i), ("c4_filter_no_terminal_punct", _i), ("c4_min_num_sentences", _i),
    ("c4_min_words_per_line", _i), ("c4_max_word_length", _i), ("c4_filter_lorem_ipsum", _i),
    ("c4_filter_javascript", _i), ("c4_filter_curly_bracket", _i), ("c4_filter_policy", _i),
    ("badwords_default_language", ctypes.c_char_p), ("bad_words_file", ctypes.c_char_p),
    ("gopher_min_doc_words", _i), ("gopher_max_doc_words", _i), ("gopher_min_avg_word_length", _d),
    ("gopher_max_avg_word_length", _d), ("gopher_max_symbol_word_ratio", _d),
    ("gopher_max_bullet_lines_ratio", _d), ("gopher_max_ellipsis_lines_ratio", _d),
    ("gopher_max_non_alpha_words_ratio", _d), ("gopher_min_stop_words", _i),
    ("rep_dup_line_frac", _d), ("rep_dup_para_frac", _d), ("rep_dup_line_char_frac", _d),
    ("rep_dup_para_char_frac", _d), ("rep_top_n_grams", ctypes.POINTER(_Ngram)), ("rep_n_top_n_grams", _sz),
    ("rep_dup_n_grams", ctypes.POINTER(_Ngram)), ("rep_n_dup_n_grams", _sz),
    ("fineweb_line_punct_thr", _d), ("fineweb_line_punct_exclude_zero", _i), ("fineweb_short_line_thr", _d),
    ("fineweb_short_line_length", _i), ("fineweb_char_duplicates_ratio", _d), ("fineweb_new_line_ratio", _d),
    ("languages", ctypes.c_char_p), ("language_threshold", _d), ("language_predict", _PREDICT),
    ("language_ctx", _vp),
    ("language_model", ctypes.c_char_p),  # version 3
]


class _Options(ctypes.Structure):
    _fields_ = _OPTION_FIELDS


class _Result(ctypes.Structure):
    _fields_ = [("keep", _i), ("reason", _i), ("text", ctypes.c_void_p), ("len", _sz),
                ("language", ctypes.c_char * 32), ("language_score", _d)]


FilterResult = collections.namedtuple("FilterResult", "keep reason text language language_score")




def filter_rules():
    """Names of the filter rules, in the order of llmd_filter_rule (read from the library)."""
    return [_api.llmd_filter_rule_name(i).decode() for i in range(_api.llmd_filter_rule_count())]


def _ngrams(pairs):
    arr = (_Ngram * max(1, len(pairs)))(*[_Ngram(int(n), float(fr)) for n, fr in pairs])
    return arr, len(pairs)


def _rebuild_filter(args, params):
    return QualityFilter(*args, **params)


class QualityFilter(Handle):
    """QualityFilter(filters="c4,badwords,gopher", min_bytes=0, max_bytes=0, languages=None,
    language_threshold=0.65, language_predict=None, bad_words_file=None, language_model=None, **params).

    filters: ordered names (str "c4,gopher" or a list); params: any llmd_filter_options field by
    name (c4_min_num_sentences, gopher_max_doc_words, rep_top_n_grams=[(2, 0.2), ...], ...);
    language_model: the fastText model file of the language filter (None = the bundled
    lid.176.ftz); loaded once when the filter is built, LlmdError naming the file if it cannot be."""

    def _release(self, handle):
        _api.llmd_filter_free(handle)
        if getattr(self, "_stats", None):
            _api.llmd_filter_stats_free(self._stats)
            self._stats = None

    def __init__(self, filters=None, min_bytes=0, max_bytes=0, languages=None, language_threshold=0.65,
                 language_predict=None, bad_words_file=None, language_model=None, **params):
        self._args = (filters, min_bytes, max_bytes, languages, language_threshold, language_predict,
                      None if bad_words_file is None else str(bad_words_file),
                      None if language_model is None else str(language_model))
        self._params = dict(params)
        self._h = None
        self._stats = None
        self._lock = threading.Lock()
        o = _Options()
        _api.llmd_filter_options_init(ctypes.byref(o))
        keep = []   # bytes and arrays referenced by o must outlive llmd_filter_new

        def s(v):
            b = to_bytes(str(v))
            keep.append(b)
            return b
        if filters is not None:
            o.filters = s(filters if isinstance(filters, str) else ",".join(filters))
        o.min_bytes, o.max_bytes = int(min_bytes), int(max_bytes)
        if languages is not None:
            o.languages = s(languages if isinstance(languages, str) else ",".join(languages))
        o.language_threshold = float(language_threshold)
        if bad_words_file:
            o.bad_words_file = s(bad_words_file)
        if language_model is not None:
            o.language_model = s(language_model)
        names = {n for n, _ in _OPTION_FIELDS}
        for k, v in params.items():
            if k in ("rep_top_n_grams", "rep_dup_n_grams"):
                arr, n = _ngrams(v)
                keep.append(arr)
                setattr(o, k, ctypes.cast(arr, ctypes.POINTER(_Ngram)))
                setattr(o, "rep_n_" + k[4:], n)
            elif k == "badwords_default_language":
                o.badwords_default_language = s(v)
            elif k in names and k not in ("version", "filters", "languages", "language_predict", "language_ctx",
                                          "bad_words_file", "language_model", "rep_n_top_n_grams",
                                          "rep_n_dup_n_grams"):
                t = dict(_OPTION_FIELDS)[k]
                setattr(o, k, float(v) if t is _d else int(v))
            else:
                raise TypeError("QualityFilter: unknown parameter %r" % k)
        self._predict_cb = None
        if language_predict is not None:
            self._predict_cb = _PREDICT(_make_predict(language_predict))
            o.language_predict = self._predict_cb
        h = _vp()
        check(_api.llmd_filter_new(ctypes.byref(h), ctypes.byref(o)))
        self._h = h
        st = _vp()
        check(_api.llmd_filter_stats_new(ctypes.byref(st)))
        self._stats = st

    def __reduce__(self):
        """Pickles by its constructor arguments (files by path; a language_predict callable must
        itself pickle); the unpickled filter starts with empty statistics."""
        return (_rebuild_filter, (self._args, self._params))

    def _local_stats(self):
        st = _vp()
        check(_api.llmd_filter_stats_new(ctypes.byref(st)))
        return st

    def _merge(self, st):
        with self._lock:
            lib().llmd_filter_stats_merge(self._stats, st)
        _api.llmd_filter_stats_free(st)

    def apply(self, text):
        """FilterResult(keep, reason (rule name or None), text (str, after C4's line removal),
        language, language_score (when the language filter ran, else "" and 0.0))."""
        data = to_bytes(text)
        r = _Result()
        st = self._local_stats()
        try:
            check(_api.llmd_filter_apply(self._h, data, len(data), ctypes.byref(r), st))
        except BaseException:
            _api.llmd_filter_stats_free(st)
            raise
        self._merge(st)
        return _take(r, text, data)

    def apply_batch(self, texts, threads=0):
        """apply() over a list of texts on `threads` threads (0 = one per CPU); results in input order."""
        datas = [to_bytes(t) for t in texts]
        n = len(datas)
        if n == 0:
            return []
        arr = (ctypes.c_char_p * n)(*datas)
        lens = (_sz * n)(*[len(d) for d in datas])
        res = (_Result * n)()
        st = self._local_stats()
        try:
            check(_api.llmd_filter_batch(self._h, arr, lens, n, int(threads), res, st))
        except BaseException:
            _api.llmd_filter_stats_free(st)
            raise
        self._merge(st)
        out = []
        for i in range(n):   # _take frees every C-allocated text, even when one decode fails
            out.append(_take(res[i], texts[i], datas[i]))
        return out

    def stats(self):
        """{"docs_in", "docs_kept", "docs_modified", "rules": {name: {"docs_dropped", "lines_removed"}}}
        over every document this filter applied (rules with a non-zero count only)."""
        a, b, c = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        with self._lock:
            _api.llmd_filter_stats_totals(self._stats, ctypes.byref(a), ctypes.byref(b), ctypes.byref(c))
            rules = {}
            for i, name in enumerate(filter_rules()):
                d, l = ctypes.c_uint64(), ctypes.c_uint64()
                check(_api.llmd_filter_stats_rule(self._stats, i, ctypes.byref(d), ctypes.byref(l)))
                if d.value or l.value:
                    rules[name] = {"docs_dropped": d.value, "lines_removed": l.value}
        return {"docs_in": a.value, "docs_kept": b.value, "docs_modified": c.value, "rules": rules}


def _make_predict(predict):
    def cb(ctx, text, length, k, out, n_out):
        try:
            s = ctypes.string_at(text, length).decode("utf-8", "replace")
            preds = list(predict(s, int(k)))[:int(k)]
            for j, (label, score) in enumerate(preds):
                out[j].label = to_bytes(str(label))[:31]
                out[j].score = float(score)
            n_out[0] = len(preds)
            return 0
        except Exception:   # reported as an error status; the exception cannot cross the C frame
            return -1
    return cb


def _take(r, text, data):
    """Converts (and frees) one C result."""
    try:
        out = ctypes.string_at(r.text, r.len).decode("utf-8", "replace") if r.text else (
            text if isinstance(text, str) else data.decode("utf-8", "replace"))
    finally:
        if r.text:
            lib().llmd_free(r.text)
            r.text = None
    reason = _api.llmd_filter_rule_name(r.reason).decode() if r.reason >= 0 else None
    return FilterResult(bool(r.keep), reason, out, r.language.decode("utf-8", "replace"), float(r.language_score))


# The C functions this module calls (declared once; bound on first use).
_api = Api({
    "llmd_filter_rule_count": (_i,),
    "llmd_filter_rule_name": (ctypes.c_char_p, _i),
    "llmd_filter_options_init": (None, ctypes.POINTER(_Options)),
    "llmd_filter_new": (_i, ctypes.POINTER(_vp), ctypes.POINTER(_Options)),
    "llmd_filter_free": (None, _vp),
    "llmd_filter_apply": (_i, _vp, ctypes.c_char_p, _sz, ctypes.POINTER(_Result), _vp),
    "llmd_filter_batch": (_i, _vp, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(_sz), _sz, ctypes.c_uint, ctypes.POINTER(_Result), _vp),
    "llmd_filter_stats_new": (_i, ctypes.POINTER(_vp)),
    "llmd_filter_stats_free": (None, _vp),
    "llmd_filter_stats_totals": (None, _vp, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64)),
    "llmd_filter_stats_rule": (_i, _vp, _i, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64)),
})
