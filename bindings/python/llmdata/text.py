"""Text cleaning and PII redaction (llmdata/text.h) through ctypes.

>>> import llmdata
>>> llmdata.clean_text("<p>Caf&eacute;  ok</p>")
'Café ok'
>>> r = llmdata.Redactor()
>>> r.redact("mail jane@example.org")
('mail [EMAIL_ADDRESS]', [Span(type='EMAIL_ADDRESS', start=5, end=21)])

Offsets: for a ``str`` input, spans are *character* (code point) offsets into that string; for a
``bytes`` input they are UTF-8 *byte* offsets, as in the C API.  A Redactor is immutable and may
be shared by any number of threads (the C calls release the GIL).
"""
import collections
import ctypes
from ._lib import Api, Handle, c_int, check, lib, to_bytes

__all__ = ["clean_text", "clean_texts", "Redactor", "Span", "PII_TYPES"]

PII_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
             "SECRET")

Span = collections.namedtuple("Span", "type start end")

_NORMS = {"nfc": 0, "nfkc": 1, None: 2, "none": 2}
_UTF8 = {"replace": 0, "error": 1}


class _CleanOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("html", ctypes.c_int), ("normalization", ctypes.c_int),
                ("drop_controls", ctypes.c_int), ("whitespace", ctypes.c_int),
                ("keep_paragraphs", ctypes.c_int), ("invalid_utf8", ctypes.c_int)]


_VALIDATOR = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)


class _Rule(ctypes.Structure):
    _fields_ = [("type", ctypes.c_char_p), ("pattern", ctypes.c_char_p), ("validator", _VALIDATOR),
                ("user", ctypes.c_void_p)]


class _RedactorOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("types", ctypes.c_uint32), ("replacement", ctypes.c_char_p),
                ("rules", ctypes.POINTER(_Rule)), ("n_rules", ctypes.c_size_t)]


class _Span(ctypes.Structure):
    _fields_ = [("type", ctypes.c_char_p), ("type_id", ctypes.c_uint32), ("start", ctypes.c_size_t),
                ("end", ctypes.c_size_t)]


class _Batch(ctypes.Structure):
    _fields_ = [("n", ctypes.c_size_t), ("data", ctypes.c_void_p), ("offsets", ctypes.POINTER(ctypes.c_size_t)),
                ("spans", ctypes.POINTER(_Span)), ("span_offsets", ctypes.POINTER(ctypes.c_size_t))]


_P = ctypes.POINTER
_api = Api({
    "llmd_clean_text": (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, _P(_CleanOptions), _P(ctypes.c_void_p),
                        _P(ctypes.c_size_t)),
    "llmd_redactor_new": (ctypes.c_int, _P(ctypes.c_void_p), _P(_RedactorOptions)),
    "llmd_redactor_free": (None, ctypes.c_void_p),
    "llmd_redactor_redact": (ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, _P(ctypes.c_void_p),
                             _P(ctypes.c_size_t), _P(_P(_Span)), _P(ctypes.c_size_t)),
    "llmd_redactor_find": (ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, _P(_P(_Span)),
                           _P(ctypes.c_size_t)),
    "llmd_text_batch_run": (ctypes.c_int, _P(ctypes.c_char_p), _P(ctypes.c_size_t), ctypes.c_size_t, ctypes.c_int,
                            _P(_CleanOptions), ctypes.c_void_p, ctypes.c_uint, _P(_P(_Batch)), _P(ctypes.c_size_t)),
    "llmd_text_batch_free": (None, _P(_Batch)),
    "llmd_pii_parse_types": (ctypes.c_int, ctypes.c_char_p, _P(ctypes.c_uint32)),
})


def _clean_options(html=True, normalization="nfc", drop_controls=True, whitespace=True,
                   keep_paragraphs=False, invalid_utf8="replace"):
    if isinstance(normalization, str):
        normalization = normalization.lower()
    if normalization not in _NORMS:
        raise ValueError(f"normalization must be 'nfc', 'nfkc' or None, not {normalization!r}")
    if invalid_utf8 not in _UTF8:
        raise ValueError(f"invalid_utf8 must be 'replace' or 'error', not {invalid_utf8!r}")
    return _CleanOptions(1, int(bool(html)), _NORMS[normalization], int(bool(drop_controls)),
                         int(bool(whitespace)), int(bool(keep_paragraphs)), _UTF8[invalid_utf8])


def _take(ptr, n):
    """Copies n bytes from a library buffer and frees it."""
    try:
        return ctypes.string_at(ptr, n) if n else b""
    finally:
        lib().llmd_free(ptr)


def clean_text(text, **opts):
    """Cleans one text (str or bytes) and returns a str.

    Options (defaults): html=True (strip tags, drop <script>/<style> bodies and comments, decode
    character references), normalization='nfc' ('nfkc' or None), drop_controls=True,
    whitespace=True (collapse runs to one space, trim), keep_paragraphs=False ("\\n\\n" kept),
    invalid_utf8='replace' (U+FFFD) or 'error' (raises LlmdError).
    """
    o = _clean_options(**opts)
    data = to_bytes(text)
    out, n = ctypes.c_void_p(), ctypes.c_size_t()
    check(_api.llmd_clean_text(data, len(data), ctypes.byref(o), ctypes.byref(out), ctypes.byref(n)))
    return _take(out, n.value).decode("utf-8")


def _run_batch(datas, do_clean, copts, redactor, threads):
    """llmd_text_batch_run over a list of bytes; returns [(bytes, [(type, start, end)])]."""
    threads = c_int(threads, ctypes.c_uint, "threads")
    n = len(datas)
    arr = (ctypes.c_char_p * max(n, 1))(*datas)
    lens = (ctypes.c_size_t * max(n, 1))(*[len(d) for d in datas])
    out = ctypes.POINTER(_Batch)()
    failed = ctypes.c_size_t()
    if redactor is None:
        check(_api.llmd_text_batch_run(arr, lens, n, int(do_clean), ctypes.byref(copts) if copts else None,
                                       None, threads, ctypes.byref(out), ctypes.byref(failed)))
        return _batch_results(out, n)
    with redactor._use() as h:   # span type names point into the redactor: read them while it lives
        check(_api.llmd_text_batch_run(arr, lens, n, int(do_clean), ctypes.byref(copts) if copts else None,
                                       h, threads, ctypes.byref(out), ctypes.byref(failed)))
        return _batch_results(out, n)


def _batch_results(out, n):
    """Copies (and frees) an llmd_text_batch: [(bytes, [(type, start, end)])]."""
    try:
        b = out.contents
        total = b.offsets[n]
        blob = ctypes.string_at(b.data, total) if total else b""
        res = []
        for i in range(n):
            spans = [(b.spans[k].type.decode(), b.spans[k].start, b.spans[k].end)
                     for k in range(b.span_offsets[i], b.span_offsets[i + 1])]
            res.append((blob[b.offsets[i]:b.offsets[i + 1]], spans))
        return res
    finally:
        _api.llmd_text_batch_free(out)


def clean_texts(texts, threads=0, **opts):
    """Cleans many texts at once (threads: 0 = one per CPU); returns a list of str."""
    datas = [to_bytes(t) for t in texts]
    return [d.decode("utf-8") for d, _ in _run_batch(datas, True, _clean_options(**opts), None, threads)]


def _char_spans(data, spans):
    """Byte offsets -> code point offsets (spans sorted and on character boundaries)."""
    if not spans:
        return []
    out, pos_b, pos_c = [], 0, 0
    for t, s, e in spans:
        pos_c += len(data[pos_b:s].decode("utf-8", "surrogateescape"))
        cs = pos_c
        pos_c += len(data[s:e].decode("utf-8", "surrogateescape"))
        pos_b = e
        out.append(Span(t, cs, pos_c))
    return out


class Redactor(Handle):
    """A compiled PII redactor.

    types: None or "all" (every built-in type), "none", a comma string or a list of names from
    PII_TYPES.  template: replacement, "{type}" becomes the type name ("[{type}]" by default;
    "****" masks everything the same).  rules: caller rules as (type, pcre2_pattern) or
    (type, pcre2_pattern, validator) where validator(match: bytes) -> bool.

    Overlaps resolve as in the C library: earliest start, then longest, then built-ins before
    rules (rules in the given order).  close() while other threads are redacting is safe: the
    redactor is freed when they return.
    """

    _what = "Redactor"

    def _release(self, handle):
        _api.llmd_redactor_free(handle)

    def __init__(self, types=None, template=None, rules=()):
        self._args = (types, template, tuple(tuple(r) for r in rules))
        if types is None:
            types = "all"
        if not isinstance(types, str):
            types = ",".join(types) if types else "none"
        mask = ctypes.c_uint32()
        check(_api.llmd_pii_parse_types(types.encode(), ctypes.byref(mask)))
        self._cb_errors = []   # exceptions raised by validators (any thread)
        self._keep = []
        crules = (_Rule * max(len(rules), 1))()
        for i, rule in enumerate(rules):
            if len(rule) not in (2, 3):
                raise ValueError("a rule is (type, pattern) or (type, pattern, validator)")
            rtype, pattern = to_bytes(rule[0]), to_bytes(rule[1])
            cb = _VALIDATOR()
            if len(rule) == 3 and rule[2] is not None:
                cb = _VALIDATOR(self._wrap(rule[2]))
            self._keep += [rtype, pattern, cb]
            crules[i] = _Rule(rtype, pattern, cb, None)
        tmpl = None if template is None else to_bytes(template)
        self._keep += [tmpl, crules]
        o = _RedactorOptions(1, mask.value, tmpl, crules if rules else None, len(rules))
        h = ctypes.c_void_p()
        check(_api.llmd_redactor_new(ctypes.byref(h), ctypes.byref(o)))
        self._set_handle(h)

    def __reduce__(self):
        """Pickles by its constructor arguments (types, template, rules; a rule's validator must
        itself pickle, e.g. a module-level function) and is compiled again on unpickling."""
        return (type(self), self._args)

    def _wrap(self, validator):
        def call(ptr, n, _user):
            try:
                return 1 if validator(ctypes.string_at(ptr, n)) else 0
            except BaseException as e:  # re-raised after the C call returns
                self._cb_errors.append(e)
                return 0
        return call

    def _raise_cb(self):
        if self._cb_errors:
            e = self._cb_errors[0]
            self._cb_errors.clear()
            raise e

    def redact(self, text):
        """Returns (redacted, [Span]); str in -> str out with character offsets, bytes in ->
        bytes out with byte offsets."""
        data = to_bytes(text)
        out, n = ctypes.c_void_p(), ctypes.c_size_t()
        sp, ns = ctypes.POINTER(_Span)(), ctypes.c_size_t()
        with self._use() as h:   # span type names point into the redactor: read them while it lives
            st = _api.llmd_redactor_redact(h, data, len(data), ctypes.byref(out), ctypes.byref(n),
                                           ctypes.byref(sp), ctypes.byref(ns))
            try:
                self._raise_cb()
                check(st)
            except BaseException:   # outputs of a call whose validator raised are still ours to free
                lib().llmd_free(out)
                lib().llmd_free(sp)
                raise
            red = _take(out, n.value)
            try:
                spans = [(sp[k].type.decode(), sp[k].start, sp[k].end) for k in range(ns.value)]
            finally:
                lib().llmd_free(sp)
        if isinstance(text, str):
            return red.decode("utf-8"), _char_spans(data, spans)
        return red, [Span(*s) for s in spans]

    def find(self, text):
        """The spans only (same offsets rule as redact)."""
        data = to_bytes(text)
        sp, ns = ctypes.POINTER(_Span)(), ctypes.c_size_t()
        with self._use() as h:
            st = _api.llmd_redactor_find(h, data, len(data), ctypes.byref(sp), ctypes.byref(ns))
            try:
                self._raise_cb()
                check(st)
            except BaseException:
                lib().llmd_free(sp)
                raise
            try:
                spans = [(sp[k].type.decode(), sp[k].start, sp[k].end) for k in range(ns.value)]
            finally:
                lib().llmd_free(sp)
        return _char_spans(data, spans) if isinstance(text, str) else [Span(*s) for s in spans]

    def clean_and_redact(self, text, **clean_opts):
        """clean_text(text, **clean_opts) then redact(); spans are offsets into the cleaned text."""
        return self.redact(clean_text(text, **clean_opts))

    def redact_batch(self, texts, threads=0, clean=False, **clean_opts):
        """Redacts many texts (cleaning them first when clean=True) with `threads` threads
        (0 = one per CPU).  Returns a list of (redacted, [Span]) like redact()."""
        datas = [to_bytes(t) for t in texts]
        if clean:
            datas = [d for d, _ in _run_batch(datas, True, _clean_options(**clean_opts), None, threads)]
            strs = [True] * len(datas)
        else:
            strs = [isinstance(t, str) for t in texts]
        res = _run_batch(datas, False, None, self, threads)
        self._raise_cb()
        out = []
        for d, (red, spans), is_str in zip(datas, res, strs):
            if is_str:
                out.append((red.decode("utf-8"), _char_spans(d, spans)))
            else:
                out.append((red, [Span(*s) for s in spans]))
        return out
