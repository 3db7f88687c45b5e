"""llmdata — Python binding of libllmdata (pure Python over the shared library, via ctypes).

The library is found through the LLMDATA_LIBRARY environment variable (a path to libllmdata.so),
else the normal shared-library search (the installed library: run `ldconfig` after installing, or
set LD_LIBRARY_PATH).

Errors raise a subclass of llmdata.LlmdError chosen by the library's status (ParseError, IoError,
NotFoundError, ConflictError, SchemaError, RangeError, CorruptError, ...; llmdata.ERRORS maps
status codes to classes), carrying the status (`.status`, `.status_name`) and the library's message
(`.message`).  Catch LlmdError for everything, or a subclass for what you handle.

Threads: every `threads` argument means what it means in the CLI and the pipeline config:
0 (the default) = one thread per CPU, N = N threads.
"""
from ._lib import (ERRORS, ConflictError, CorruptError, InternalError, InvalidArgumentError,  # noqa: F401
                   IoError, LlmdError, NotFoundError, OutOfMemoryError, ParseError, RangeError, SchemaError,
                   StateError, TruncatedError, UnsupportedError, Utf8Error, VersionError, version,
                   version_number)
from .io import JsonDoc, JsonlReader  # noqa: F401

# Capability modules register here as they land (each import is cheap: symbols bind lazily).
import importlib as _importlib

for _mod in ("text", "langid", "filter", "dedup", "tokenizer", "pack", "pipeline", "parquet", "delta",
             "feature"):
    _m = _importlib.import_module(f".{_mod}", __name__)
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
del _importlib, _mod
