"""llmdata — Python binding of libllmdata (pure Python over the shared library, via ctypes).

The library is found through the LLMDATA_LIBRARY environment variable (a path to
libllmdata.so), else the normal shared-library search.  Errors raise llmdata.LlmdError carrying
the library's status code and message.
"""
from ._lib import LlmdError, version, version_number  # noqa: F401
from .io import JsonDoc, JsonlReader  # noqa: F401

# Capability modules register here as they land (each import is cheap: symbols bind lazily).
import importlib as _importlib

for _mod in ("text", "langid", "filter", "dedup", "tokenizer", "pack", "pipeline", "parquet", "delta",
             "feature"):
    _m = _importlib.import_module(f".{_mod}", __name__)
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
del _importlib, _mod
