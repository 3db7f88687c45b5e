"""The end-to-end pipeline (llmdata/pipeline.h) through ctypes.

>>> import llmdata
>>> report = llmdata.run_pipeline(["part-0.jsonl.zst"], tokenizer="tokenizer.json", seq_len=2048,
...                               out="shards/", strategy="best-fit")
>>> report["stages"]["pack"]["windows"]

Settings are the keys of include/llmdata/pipeline.h (tokenizer, out, seq_len, strategy, format,
bos_id, eos_id, pad_id, threads, batch, min_bytes, max_bytes, filter, filters, languages,
language_threshold, c4, gopher, clean, redact,
exact_dedup, near_dedup, near_threshold, field, pii_types, bad_words_file, skip_bad, buffer);
booleans may be given as Python bools.  Errors raise llmdata.LlmdError.
"""
import ctypes
import json

from ._lib import Handle, check, fn, lib, to_bytes

__all__ = ["run_pipeline", "Pipeline"]

_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_fns = {}
_u64 = ctypes.c_uint64
_PROGRESS = ctypes.CFUNCTYPE(None, _vp, _u64, _u64, _u64, _u64)


def _f(name):
    if not _fns:
        _fns.update({
            "new": fn("llmd_pipeline_new", ctypes.c_int, ctypes.POINTER(_vp)),
            "free": fn("llmd_pipeline_free", None, _vp),
            "set": fn("llmd_pipeline_set", ctypes.c_int, _vp, _cp, _cp),
            "config": fn("llmd_pipeline_load_config", ctypes.c_int, _vp, _cp),
            "input": fn("llmd_pipeline_add_input", ctypes.c_int, _vp, _cp),
            "run": fn("llmd_pipeline_run", ctypes.c_int, _vp, ctypes.POINTER(_vp), ctypes.POINTER(_vp)),
            "progress": fn("llmd_pipeline_set_progress", None, _vp, _PROGRESS, _vp),
        })
    return _fns[name]


def _value(v):
    if isinstance(v, bool):
        return b"true" if v else b"false"
    if isinstance(v, (list, tuple)):      # filters=["c4", "gopher"], languages=["en"]
        return to_bytes(",".join(str(x) for x in v))
    return to_bytes(str(v))


class Pipeline(Handle):
    """A configured pipeline run: Pipeline(config=None, **settings); add_input(path); run()."""

    def _release(self, handle):
        _f("free")(handle)

    def __init__(self, config=None, **settings):
        h = _vp()
        check(_f("new")(ctypes.byref(h)))
        self._h = h
        self.report_text = None
        if config is not None:
            check(_f("config")(self._h, to_bytes(str(config))))
        for k, v in settings.items():
            self.set(k, v)

    def set(self, key, value):
        check(_f("set")(self._h, to_bytes(key), _value(value)))

    def add_input(self, path):
        check(_f("input")(self._h, to_bytes(str(path))))

    def run(self, progress=None):
        """Runs the pipeline; returns the report as a dict (the readable rendering is kept in
        self.report_text).  progress: None or a callable(bytes_read, bytes_total, docs, tokens)
        called after every batch on this thread (an exception in it is re-raised after the run)."""
        js, tx = _vp(), _vp()
        errors = []
        cb = None
        if progress is not None:
            def _cb(_ctx, done, total, docs, tokens):
                if not errors:
                    try:
                        progress(done, total, docs, tokens)
                    except BaseException as e:  # noqa: B902 - carried out of the C call
                        errors.append(e)
            cb = _PROGRESS(_cb)
            _f("progress")(self._h, cb, None)
        try:
            check(_f("run")(self._h, ctypes.byref(js), ctypes.byref(tx)))
        finally:
            if cb is not None:
                _f("progress")(self._h, _PROGRESS(), None)
        if errors:
            lib().llmd_free(js)
            lib().llmd_free(tx)
            raise errors[0]
        try:
            report = json.loads(ctypes.string_at(js).decode("utf-8"))
            self.report_text = ctypes.string_at(tx).decode("utf-8")
        finally:
            lib().llmd_free(js)
            lib().llmd_free(tx)
        return report


def run_pipeline(inputs, config=None, progress=None, **settings):
    """Runs the whole pipeline over `inputs` (paths of JSONL or JSONL.zst files; may be empty when
    the config file lists "inputs") and returns the report dict.  Example settings:
    tokenizer=..., seq_len=2048, out="dir", strategy="best-fit"."""
    if isinstance(inputs, (str, bytes)):
        inputs = [inputs]
    with Pipeline(config, **settings) as p:
        for path in inputs:
            p.add_input(path)
        return p.run(progress)
