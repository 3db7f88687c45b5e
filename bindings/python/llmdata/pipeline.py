"""The end-to-end pipeline (llmdata/pipeline.h) through ctypes.

>>> import llmdata
>>> report = llmdata.run_pipeline(["part-0.jsonl.zst"], tokenizer="tokenizer.json", seq_len=2048,
...                               out="shards/", strategy="best-fit")
>>> report["stages"]["pack"]["windows"]

Settings are the keys of include/llmdata/pipeline.h (tokenizer, out, seq_len, strategy, format,
bos_id, eos_id, pad_id, threads, batch, min_bytes, max_bytes, filter, filters, languages,
language_threshold, language_model, c4, gopher, clean, redact, exact_dedup, near_dedup, near_threshold,
near_streaming, field, pii_types, bad_words_file, skip_bad, buffer, overwrite); booleans may be given as
Python bools.  A non-empty `out` is refused unless overwrite=True (and then only when it holds nothing
but an earlier run's files); the run is published as one unit with out/_llmdata_run.json listing
every file (verify_output checks it).  Errors raise llmdata.LlmdError.
"""
import ctypes
import json

from ._lib import Api, Handle, check, lib, to_bytes

__all__ = ["run_pipeline", "Pipeline", "verify_output", "PipelineOutput"]

_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_u64 = ctypes.c_uint64
_PROGRESS = ctypes.CFUNCTYPE(None, _vp, _u64, _u64, _u64, _u64)
_api = Api({
    "llmd_pipeline_new": (ctypes.c_int, ctypes.POINTER(_vp)),
    "llmd_pipeline_free": (None, _vp),
    "llmd_pipeline_set": (ctypes.c_int, _vp, _cp, _cp),
    "llmd_pipeline_load_config": (ctypes.c_int, _vp, _cp),
    "llmd_pipeline_add_input": (ctypes.c_int, _vp, _cp),
    "llmd_pipeline_run": (ctypes.c_int, _vp, ctypes.POINTER(_vp), ctypes.POINTER(_vp)),
    "llmd_pipeline_set_progress": (None, _vp, _PROGRESS, _vp),
    "llmd_pipeline_verify_output": (ctypes.c_int, _cp, ctypes.c_uint),
    "llmd_pipeline_output_open": (ctypes.c_int, ctypes.POINTER(_vp), _cp, ctypes.c_int),
    "llmd_pipeline_output_dir": (_cp, _vp),
    "llmd_pipeline_output_add_file": (ctypes.c_int, _vp, _cp),
    "llmd_pipeline_output_publish": (ctypes.c_int, _vp, _cp),
    "llmd_pipeline_output_free": (None, _vp),
})


def _value(v):
    if isinstance(v, bool):
        return b"true" if v else b"false"
    if isinstance(v, (list, tuple)):      # filters=["c4", "gopher"], languages=["en"]
        return to_bytes(",".join(str(x) for x in v))
    return to_bytes(str(v))


def _rebuild_pipeline(config, settings, inputs):
    p = Pipeline(config, **settings)
    for path in inputs:
        p.add_input(path)
    return p


class Pipeline(Handle):
    """A configured pipeline run: Pipeline(config=None, **settings); add_input(path); run()."""

    _what = "Pipeline"

    def _release(self, handle):
        _api.llmd_pipeline_free(handle)

    def __init__(self, config=None, **settings):
        h = _vp()
        check(_api.llmd_pipeline_new(ctypes.byref(h)))
        self._set_handle(h)
        self.report_text = None
        self._config = None if config is None else str(config)
        self._settings = {}
        self._inputs = []
        if config is not None:
            with self._use() as p:
                check(_api.llmd_pipeline_load_config(p, to_bytes(str(config))))
        for k, v in settings.items():
            self.set(k, v)

    def set(self, key, value):
        with self._use() as p:
            check(_api.llmd_pipeline_set(p, to_bytes(key), _value(value)))
        self._settings[key] = value

    def add_input(self, path):
        with self._use() as p:
            check(_api.llmd_pipeline_add_input(p, to_bytes(str(path))))
        self._inputs.append(str(path))

    def __reduce__(self):
        """Pickles as its config file path, settings and inputs (in the order given): the
        unpickled Pipeline is configured the same way (the config file is read again)."""
        return (_rebuild_pipeline, (self._config, dict(self._settings), list(self._inputs)))

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
        with self._use() as p:
            if cb is not None:
                _api.llmd_pipeline_set_progress(p, cb, None)
            try:
                check(_api.llmd_pipeline_run(p, ctypes.byref(js), ctypes.byref(tx)))
            finally:
                if cb is not None:
                    _api.llmd_pipeline_set_progress(p, _PROGRESS(), None)
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


def verify_output(out, checksums=False):
    """Checks that directory `out` holds one complete pipeline output (the files its
    _llmdata_run.json lists, with their sizes; XXH3-64 checksums too with checksums=True).
    Raises LlmdError (CORRUPT or NOT_FOUND status, naming the file) otherwise."""
    check(_api.llmd_pipeline_verify_output(to_bytes(str(out)), 1 if checksums else 0))


class PipelineOutput(Handle):
    """PipelineOutput(out, overwrite=False): the pipeline's one-unit publishing for files written
    by the caller (llmd_pipeline_output_*).  Write files into `.dir` (a fresh staging directory
    beside `out`), list each with add_file(name), then publish(run_id): _llmdata_run.json is
    written and `out` replaced in one step, as `llmdata pipeline` does.  Closing before publish
    removes the staging directory.  Not picklable (it owns a directory being written)."""

    _what = "PipelineOutput"

    def _release(self, handle):
        _api.llmd_pipeline_output_free(handle)

    def __init__(self, out, overwrite=False):
        h = _vp()
        check(_api.llmd_pipeline_output_open(ctypes.byref(h), to_bytes(str(out)), 1 if overwrite else 0))
        self._set_handle(h)

    def __reduce__(self):
        raise TypeError("a PipelineOutput owns a staging directory being written and cannot be pickled")

    @property
    def dir(self):
        with self._use() as h:
            d = _api.llmd_pipeline_output_dir(h)
        return None if d is None else d.decode()

    def add_file(self, name):
        with self._use() as h:
            check(_api.llmd_pipeline_output_add_file(h, to_bytes(name)))

    def publish(self, run_id):
        with self._use() as h:
            check(_api.llmd_pipeline_output_publish(h, to_bytes(str(run_id))))
