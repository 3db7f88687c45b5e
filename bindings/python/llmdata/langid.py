"""Language identification with fastText models (llmdata/langid.h) through ctypes.

>>> import llmdata
>>> lid = llmdata.LanguageId()                  # the bundled lid.176.ftz (176 languages)
>>> lid.predict("Bonjour tout le monde")
('fr', 0.98954...)
>>> lid.predict("Привет мир", k=2)
[('ru', 0.5729...), ('uk', 0.1952...)]
>>> lid.predict_batch(["Das ist ein Test", "hola amigos"])     # [(label, prob), ...], threads

Predictions are fastText's own (`model.predict(text, k, threshold)` of the fastText Python
package, with newlines read as spaces as datatrove's LanguageFilter does); labels lose their
"__label__" prefix.  A LanguageId is immutable and may be shared by any number of threads (the C
calls release the GIL).  Errors raise llmdata.LlmdError with the library's message.
"""
import ctypes

from ._lib import Api, Handle, check, to_bytes

__all__ = ["LanguageId", "default_langid_model_path"]

_sz = ctypes.c_size_t
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p


class _PredictOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("k", ctypes.c_int32), ("threshold", ctypes.c_float)]


class _Prediction(ctypes.Structure):
    _fields_ = [("label_id", ctypes.c_int32), ("label", ctypes.c_char_p), ("probability", ctypes.c_float)]


class _Info(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint)] + [(n, ctypes.c_int32) for n in (
        "file_version", "dim", "n_words", "n_labels", "minn", "maxn", "word_ngrams", "bucket", "loss")] + [
        ("quantized", ctypes.c_int), ("quantized_output", ctypes.c_int)]






def default_langid_model_path():
    """The model LanguageId() loads: $LLMD_LANGID_MODEL, else the installed or source-tree
    lid.176.ftz (see llmd_langid_default_model_path)."""
    return _api.llmd_langid_default_model_path().decode("utf-8", "surrogateescape")


class LanguageId(Handle):
    """A loaded fastText model: LanguageId(path=None) (None = the bundled lid.176.ftz), or
    LanguageId.from_bytes(data) for a model held in memory."""

    def _release(self, handle):
        _api.llmd_langid_model_free(handle)

    def __init__(self, path=None):
        self._h = None
        h = _vp()
        check(_api.llmd_langid_model_load(ctypes.byref(h), None if path is None else to_bytes(str(path))))
        self._set(h)

    @classmethod
    def from_bytes(cls, data, name=None):
        """A model loaded from the bytes of a fastText .bin/.ftz file (name: used in error messages)."""
        self = cls.__new__(cls)
        self._h = None
        data = bytes(data)
        h = _vp()
        check(_api.llmd_langid_model_from_memory(ctypes.byref(h), data, len(data), to_bytes(name) if name else None))
        self._set(h)
        return self

    def _set(self, h):
        self._h = h
        n = int(_api.llmd_langid_label_count(h))
        self.labels = [_api.llmd_langid_label(h, i).decode("utf-8", "replace") for i in range(n)]
        info = _Info(1)
        check(_api.llmd_langid_model_get_info(h, ctypes.byref(info)))
        self.info = {name: getattr(info, name) for name, _ in _Info._fields_[1:]}

    def _handle(self):
        if not self._h:
            raise ValueError("model is closed")
        return self._h

    def predict(self, text, k=1, threshold=0.0):
        """fastText's prediction for text (str or UTF-8 bytes).  k=1: (label, probability), or
        (None, 0.0) when fastText gives nothing (no known word or n-gram, or below threshold).
        k > 1 or k = -1 (all): a list of (label, probability), best first, possibly shorter than k
        (fastText's tree search stops at probabilities below threshold or 1e-5).  A list or tuple
        of texts gives a list of those results, one per text."""
        if isinstance(text, (list, tuple)):
            return [self.predict(t, k, threshold) for t in text]
        if k == 0 or k < -1:
            raise ValueError("k must be 1 or more, or -1 for all labels")
        data = to_bytes(text)
        cap = len(self.labels) if k == -1 else min(k, len(self.labels))
        out = (_Prediction * max(cap, 1))()
        n = _sz()
        opts = _PredictOptions(1, k, threshold)
        check(_api.llmd_langid_predict(self._handle(), data, len(data), ctypes.byref(opts), out, cap, ctypes.byref(n)))
        preds = [(out[i].label.decode("utf-8", "replace"), float(out[i].probability)) for i in range(n.value)]
        if k == 1:
            return preds[0] if preds else (None, 0.0)
        return preds

    def predict_batch(self, texts, threads=0):
        """Best label of each text: a list of (label, probability) ((None, 0.0) where fastText
        gives nothing), computed on `threads` threads (0 = one per core); same results as
        predict(text) one by one."""
        datas = [to_bytes(t) for t in texts]
        n = len(datas)
        ptrs = (_cp * max(n, 1))(*datas)
        lens = (_sz * max(n, 1))(*[len(d) for d in datas])
        ids = (ctypes.c_int32 * max(n, 1))()
        probs = (ctypes.c_float * max(n, 1))()
        check(_api.llmd_langid_predict_top_batch(self._handle(), ptrs, lens, n, threads, ids, probs))
        return [(self.labels[ids[i]], float(probs[i])) if ids[i] >= 0 else (None, 0.0) for i in range(n)]


# The C functions this module calls (declared once; bound on first use).
_api = Api({
    "llmd_langid_default_model_path": (_cp,),
    "llmd_langid_model_load": (ctypes.c_int, ctypes.POINTER(_vp), _cp),
    "llmd_langid_model_from_memory": (ctypes.c_int, ctypes.POINTER(_vp), _cp, _sz, _cp),
    "llmd_langid_model_free": (None, _vp),
    "llmd_langid_model_get_info": (ctypes.c_int, _vp, ctypes.POINTER(_Info)),
    "llmd_langid_label_count": (ctypes.c_int32, _vp),
    "llmd_langid_label": (_cp, _vp, ctypes.c_int32),
    "llmd_langid_predict": (ctypes.c_int, _vp, _cp, _sz, ctypes.POINTER(_PredictOptions), ctypes.POINTER(_Prediction), _sz, ctypes.POINTER(_sz)),
    "llmd_langid_predict_top_batch": (ctypes.c_int, _vp, ctypes.POINTER(_cp), ctypes.POINTER(_sz), _sz, ctypes.c_uint, ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_float)),
})
