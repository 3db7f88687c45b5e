"""The end-to-end pipeline (llmdata/pipeline.h) through ctypes.

>>> import llmdata
>>> report = llmdata.run_pipeline(["part-0.jsonl.zst"], tokenizer="tokenizer.json", seq_len=2048,
...                               out="shards/", strategy="best-fit")
>>> report["stages"]["pack"]["windows"]
>>> llmdata.run_pipeline([], documents=[{"text": "one"}, "two"], tokenizer="bytes", seq_len=64, out="o/")

Inputs are paths (JSONL, .jsonl.zst, .jsonl.gz); documents already in Python -- any iterable of
dicts (with the text field) or of strings (the texts) -- are given with documents=... or
Pipeline.add_documents(), and streamed through a temporary JSONL file removed after the run.

Settings are the keys of include/llmdata/pipeline.h (tokenizer, out, seq_len, strategy, format,
bos_id, eos_id, pad_id, threads, batch, min_bytes, max_bytes, filter, filters, languages,
language_threshold, language_model, c4, gopher, clean, redact, exact_dedup, near_dedup, near_threshold,
near_streaming, field, pii_types, bad_words_file, skip_bad, buffer, overwrite); booleans may be given as
Python bools.  A non-empty `out` is refused unless overwrite=True (and then only when it holds nothing
but an earlier run's files); the run is published as one unit with out/_llmdata_run.json listing
every file (verify_output checks it).  threads=0 (the default) uses one thread per CPU, as
everywhere in llmdata.  Errors raise llmdata.LlmdError (a subclass per status).
"""
import ctypes
import json
import os
import shutil
import tempfile

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
    for kind, value in inputs:
        if kind == "path":
            p.add_input(value)
        else:   # documents pickled as their JSONL bytes
            p._add_jsonl_bytes(value)
    return p


def _jsonl_line(doc, field):
    """One document as a JSONL line: a dict as it is, a str/bytes as {field: text}."""
    if isinstance(doc, dict):
        return json.dumps(doc, ensure_ascii=False)
    if isinstance(doc, (bytes, bytearray)):
        doc = bytes(doc).decode("utf-8")
    if isinstance(doc, str):
        return json.dumps({field: doc}, ensure_ascii=False)
    raise TypeError(f"a document must be a dict or a str, got {type(doc).__name__}")


class Pipeline(Handle):
    """A configured pipeline run: Pipeline(config=None, **settings); add_input(path) and/or
    add_documents(iterable of dicts or strings); run() -> report dict.

    config: a JSON config file (keys of include/llmdata/pipeline.h, the same names as the keywords
    and as the CLI's --options with '-' for '_'); keyword settings override it."""

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
        self._inputs = []        # ("path", path) or ("docs", temporary JSONL file), in order
        self._tmpdir = None
        if config is not None:
            with self._use() as p:
                check(_api.llmd_pipeline_load_config(p, to_bytes(str(config))))
        for k, v in settings.items():
            self.set(k, v)

    def set(self, key, value):
        """Sets one setting by its name (see the module help); LlmdError for an unknown key or a
        bad value."""
        with self._use() as p:
            check(_api.llmd_pipeline_set(p, to_bytes(key), _value(value)))
        self._settings[key] = value

    def add_input(self, path):
        """Adds an input file (JSONL, .zst or .gz; "-" = standard input), read in the order added."""
        with self._use() as p:
            check(_api.llmd_pipeline_add_input(p, to_bytes(str(path))))
        self._inputs.append(("path", str(path)))

    def _temp_jsonl(self):
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="llmdata-docs-")
        return os.path.join(self._tmpdir, f"docs-{len(self._inputs)}.jsonl")

    def add_documents(self, documents, field=None):
        """Adds documents held in Python as an input, after those added before: an iterable of
        dicts (JSON objects with the text field, other members kept) or of strings (each the text
        of one document, stored under `field`, default the pipeline's field setting or "text").
        They are streamed to a temporary JSONL file (removed by close()), so any generator works."""
        if isinstance(documents, (str, bytes, dict)):
            raise TypeError("add_documents expects an iterable of documents (dicts or strings), got a single "
                            f"{type(documents).__name__}; wrap it in a list")
        field = field or str(self._settings.get("field", "text"))
        path = self._temp_jsonl()
        with open(path, "w", encoding="utf-8") as f:
            for doc in documents:
                f.write(_jsonl_line(doc, field))
                f.write("\n")
        self._add_temp(path)

    def _add_jsonl_bytes(self, data):
        path = self._temp_jsonl()
        with open(path, "wb") as f:
            f.write(data)
        self._add_temp(path)

    def _add_temp(self, path):
        with self._use() as p:
            check(_api.llmd_pipeline_add_input(p, to_bytes(path)))
        self._inputs.append(("docs", path))

    def close(self):
        """Frees the pipeline and removes the temporary files of add_documents."""
        super().close()
        tmp, self._tmpdir = self._tmpdir, None
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    def __reduce__(self):
        """Pickles as its config file path, settings and inputs (in the order given; documents
        added from Python travel as their JSONL bytes): the unpickled Pipeline is configured the
        same way (the config file is read again)."""
        inputs = []
        for kind, value in self._inputs:
            if kind == "path":
                inputs.append((kind, value))
            else:
                with open(value, "rb") as f:
                    inputs.append((kind, f.read()))
        return (_rebuild_pipeline, (self._config, dict(self._settings), inputs))

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


def run_pipeline(inputs=(), config=None, progress=None, documents=None, **settings):
    """Runs the whole pipeline and returns the report dict.

    inputs: paths of JSONL files (.zst, .gz; one path or a list; may be empty when the config file
    lists "inputs" or documents are given).  documents: an iterable of dicts or strings (texts)
    held in Python, read after the files.  Example settings: tokenizer=..., seq_len=2048,
    out="dir", strategy="best-fit", threads=0 (one per CPU)."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    with Pipeline(config, **settings) as p:
        for path in inputs:
            if isinstance(path, dict):
                raise TypeError("run_pipeline inputs are file paths; pass documents (dicts or strings) "
                                "as documents=[...]")
            p.add_input(path)
        if documents is not None:
            p.add_documents(documents)
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
        """The staging directory to write the files into."""
        with self._use() as h:
            d = _api.llmd_pipeline_output_dir(h)
        return None if d is None else d.decode()

    def add_file(self, name):
        """Lists a file written into dir (a name relative to dir) as part of the output."""
        with self._use() as h:
            check(_api.llmd_pipeline_output_add_file(h, to_bytes(name)))

    def publish(self, run_id):
        """Writes _llmdata_run.json and replaces `out` with the staging directory in one step."""
        with self._use() as h:
            check(_api.llmd_pipeline_output_publish(h, to_bytes(str(run_id))))
