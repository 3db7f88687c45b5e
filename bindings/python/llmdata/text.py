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
import struct

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


# llmd_pii_span as the C compiler lays it out (type pointer, type_id, start, end).
_SPAN_STRUCT = struct.Struct("@PINN")
assert _SPAN_STRUCT.size == ctypes.sizeof(_Span)


def _run_batch_raw(datas, do_clean, copts, redactor, threads, as_bytes=False):
    """llmd_text_batch_run over a list of bytes.  Returns (outs, span_rows, span_offsets): outs[i]
    is output i (str; bytes when as_bytes is True or, for a list, as_bytes[i] is true), its spans are span_rows[span_offsets[i]:
    span_offsets[i+1]] as (type_ptr, type_id, start, end) tuples.  Outputs are decoded straight
    from the library's buffer (a memoryview, no intermediate copy) and the spans read in one bulk
    copy, not field by field."""
    n = len(datas)
    arr = (ctypes.c_char_p * max(n, 1))(*datas)
    lens = (ctypes.c_size_t * max(n, 1))(*map(len, datas))
    out = ctypes.POINTER(_Batch)()
    failed = ctypes.c_size_t()
    check(_api.llmd_text_batch_run(arr, lens, n, int(do_clean), ctypes.byref(copts) if copts else None,
                                    redactor, c_int(threads, ctypes.c_uint, "threads"), ctypes.byref(out),
                                    ctypes.byref(failed)))
    try:
        b = out.contents
        size_arr = ctypes.c_size_t * (n + 1)
        offs = ctypes.cast(b.offsets, ctypes.POINTER(size_arr)).contents[:]
        span_offsets = ctypes.cast(b.span_offsets, ctypes.POINTER(size_arr)).contents[:]
        total = offs[n]
        if total:
            mv = memoryview((ctypes.c_char * total).from_address(b.data)).cast("B")
            if as_bytes is True:
                outs = [bytes(mv[offs[i]:offs[i + 1]]) for i in range(n)]
            elif not as_bytes:
                outs = [str(mv[offs[i]:offs[i + 1]], "utf-8") for i in range(n)]
            else:   # one flag per output
                outs = [bytes(mv[offs[i]:offs[i + 1]]) if as_bytes[i] else str(mv[offs[i]:offs[i + 1]], "utf-8")
                        for i in range(n)]
            mv.release()
        else:
            outs = [b"" if (as_bytes if isinstance(as_bytes, bool) else as_bytes[i]) else "" for i in range(n)]
        ns = span_offsets[n]
        rows = list(_SPAN_STRUCT.iter_unpack(ctypes.string_at(b.spans, ns * _SPAN_STRUCT.size))) if ns else []
        return outs, rows, span_offsets
    finally:
        _api.llmd_text_batch_free(out)


def clean_texts(texts, threads=0, **opts):
    """Cleans many texts at once (threads: 0 = one per CPU); returns a list of str."""
    datas = [to_bytes(t) for t in texts]
    return _run_batch_raw(datas, True, _clean_options(**opts), None, threads)[0]


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
    rules (rules in the given order).
    """

    _what = "Redactor"

    def _release(self, h):
        _api.llmd_redactor_free(h)

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
        self._type_names = {}   # type id -> name, filled as batches meet them
        self._template = b"[{type}]" if tmpl is None else tmpl
        self._replacements = {}  # type name -> (UTF-8 bytes, characters) of its replacement

    def _replacement_size(self, name):
        """(bytes, characters) of the replacement of a span of type `name`: the template read by the
        C library's rules ("{type}" is the name, "{{" and "}}" are braces; checked at construction)."""
        size = self._replacements.get(name)
        if size is None:
            t, out, i = self._template, bytearray(), 0
            while i < len(t):
                if t.startswith(b"{type}", i):
                    out += name.encode("utf-8")
                    i += 6
                elif t[i:i + 1] in (b"{", b"}") and t[i + 1:i + 2] == t[i:i + 1]:
                    out += t[i:i + 1]
                    i += 2
                else:
                    out += t[i:i + 1]
                    i += 1
            size = (len(out), len(out.decode("utf-8", "replace")))
            self._replacements[name] = size
        return size

    def _clean_char_spans(self, text_out, spans):
        """Character offsets into the CLEANED text of built-in spans (ASCII matches), worked out
        from the redacted output: between spans it is the cleaned text itself; each span became
        its replacement."""
        out_b = text_out.encode("utf-8") if isinstance(text_out, str) else text_out
        res, chars, ob, prev = [], 0, 0, 0
        for sp in spans:
            gap = sp.start - prev
            chars += len(out_b[ob:ob + gap].decode("utf-8", "surrogateescape"))
            start = chars
            chars += sp.end - sp.start          # ASCII: one character per byte
            res.append(Span(sp.type, start, chars))
            ob += gap + self._replacement_size(sp.type)[0]
            prev = sp.end
        return res

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
                spans = [(sp[k].type.decode(), sp[k].start, sp[k].end) for k in range(ns.value)] if st == 0 else []
            finally:
                lib().llmd_free(sp)
        self._raise_cb()
        check(st)
        red = _take(out, n.value)
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
                spans = [(sp[k].type.decode(), sp[k].start, sp[k].end) for k in range(ns.value)] if st == 0 else []
            finally:
                lib().llmd_free(sp)
        self._raise_cb()
        check(st)
        return _char_spans(data, spans) if isinstance(text, str) else [Span(*s) for s in spans]

    def clean_and_redact(self, text, **clean_opts):
        """clean_text(text, **clean_opts) then redact(); spans are offsets into the cleaned text."""
        return self.redact(clean_text(text, **clean_opts))

    def redact_batch(self, texts, threads=0, clean=False, offsets=None, as_bytes=None, **clean_opts):
        """Redacts many texts (cleaning them first when clean=True: one pass in C, spans are then
        offsets into the cleaned text) with `threads` threads (0 = one per CPU).  Returns a list of
        (redacted, [Span]) like redact().

        offsets: None = as redact() (character offsets for str inputs and for clean=True, byte
        offsets for bytes inputs); "byte" = UTF-8 byte offsets always (no per-document offset
        work); "char" = character offsets always.  as_bytes: None = as redact() (bytes for bytes
        inputs without clean, else str); True = UTF-8 bytes always (no decoding); False = str."""
        if offsets not in (None, "byte", "char"):
            raise ValueError(f"offsets must be None, 'byte' or 'char', not {offsets!r}")
        texts = list(texts)
        datas = [to_bytes(t) for t in texts]
        copts = _clean_options(**clean_opts) if clean else None
        if as_bytes is None:
            flags = [] if clean else [not isinstance(t, str) for t in texts]
            as_bytes = flags if any(flags) else False
        with self._use() as h:   # span type names point into the redactor: read them while it lives
            outs, rows, soffs = _run_batch_raw(datas, clean, copts, h, threads, as_bytes)
            self._raise_cb()
            names = self._type_names
            for ptr, tid, _st, _en in rows:
                if tid not in names:
                    names[tid] = ctypes.string_at(ptr).decode()
        out = []
        for k in range(len(datas)):
            text_out = outs[k]
            if soffs[k] == soffs[k + 1]:
                out.append((text_out, []))
                continue
            spans = []
            builtin_only = True
            for ptr, tid, st, en in rows[soffs[k]:soffs[k + 1]]:
                name = names.get(tid)
                if name is None:
                    name = names[tid] = ctypes.string_at(ptr).decode()
                builtin_only = builtin_only and tid < len(PII_TYPES)
                spans.append(Span(name, st, en))
            want_char = offsets == "char" or (offsets is None and (clean or isinstance(texts[k], str)))
            # Byte offsets are character offsets when the text the redactor saw is ASCII: the input
            # itself, or after cleaning, an ASCII output whose spans are all built-in (built-in
            # detectors match ASCII only).
            seen_ascii = (builtin_only and text_out.isascii()) if clean else datas[k].isascii()
            if want_char and not seen_ascii:
                if clean and builtin_only:
                    spans = self._clean_char_spans(text_out, spans)
                else:
                    seen = clean_text(datas[k], **clean_opts).encode("utf-8") if clean else datas[k]
                    spans = _char_spans(seen, spans)
            out.append((text_out, spans))
        return out


# The C functions this module calls (declared once; bound on first use).
_api = Api({
    "llmd_clean_text": (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_CleanOptions), ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)),
    "llmd_redactor_new": (ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(_RedactorOptions)),
    "llmd_redactor_free": (None, ctypes.c_void_p),
    "llmd_redactor_redact": (ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.POINTER(_Span)), ctypes.POINTER(ctypes.c_size_t)),
    "llmd_redactor_find": (ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.POINTER(_Span)), ctypes.POINTER(ctypes.c_size_t)),
    "llmd_text_batch_run": (ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t, ctypes.c_int, ctypes.POINTER(_CleanOptions), ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.POINTER(_Batch)), ctypes.POINTER(ctypes.c_size_t)),
    "llmd_text_batch_free": (None, ctypes.POINTER(_Batch)),
    "llmd_pii_parse_types": (ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint32)),
})
