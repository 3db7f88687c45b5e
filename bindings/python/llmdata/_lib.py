"""Loading libllmdata and turning its status codes into exceptions (ctypes, no build step)."""
import ctypes
import ctypes.util
import os
import threading

_lock = threading.Lock()
_lib = None

STATUS_NAMES = {
    0: "LLMD_OK", -1: "LLMD_ERR_INVALID_ARG", -2: "LLMD_ERR_NOMEM", -3: "LLMD_ERR_IO",
    -4: "LLMD_ERR_PARSE", -5: "LLMD_ERR_UTF8", -6: "LLMD_ERR_UNSUPPORTED", -7: "LLMD_ERR_NOT_FOUND",
    -8: "LLMD_ERR_RANGE", -9: "LLMD_ERR_CORRUPT", -10: "LLMD_ERR_STATE", -11: "LLMD_ERR_CONFLICT",
    -12: "LLMD_ERR_SCHEMA", -13: "LLMD_ERR_VERSION", -14: "LLMD_ERR_TRUNCATED", -15: "LLMD_ERR_INTERNAL",
}


class LlmdError(Exception):
    """An llmdata call failed.  `status` is the llmd_status code, `status_name` its name and the
    message is llmd_last_error() read on the same thread right after the failing call."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = STATUS_NAMES.get(status, "LLMD_UNKNOWN")
        super().__init__(f"{message} ({self.status_name})")


def _find_library():
    path = os.environ.get("LLMDATA_LIBRARY")
    if path:
        return path
    found = ctypes.util.find_library("llmdata")
    return found or "libllmdata.so.0"


def lib():
    """The loaded shared library (loaded once; set LLMDATA_LIBRARY to choose the file)."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                handle = ctypes.CDLL(_find_library())
                handle.llmd_last_error.restype = ctypes.c_char_p
                handle.llmd_last_error.argtypes = []
                handle.llmd_status_str.restype = ctypes.c_char_p
                handle.llmd_status_str.argtypes = [ctypes.c_int]
                handle.llmd_version.restype = ctypes.c_char_p
                handle.llmd_version.argtypes = []
                handle.llmd_version_number.restype = ctypes.c_uint
                handle.llmd_version_number.argtypes = []
                handle.llmd_free.restype = None
                handle.llmd_free.argtypes = [ctypes.c_void_p]
                _lib = handle
    return _lib


def fn(name, restype, *argtypes):
    """Declares and returns a library function (ctypes releases the GIL during the call)."""
    f = getattr(lib(), name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


def check(status):
    """Raises LlmdError for a non-zero status (reads the thread-local message immediately)."""
    if status != 0:
        msg = lib().llmd_last_error().decode("utf-8", "replace")
        raise LlmdError(status, msg)
    return status


def to_bytes(text):
    """UTF-8 bytes of a str (surrogates refused), or bytes as they are."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    if not isinstance(text, str):
        raise TypeError(f"expected str or bytes, got {type(text).__name__}")
    return text.encode("utf-8")


def version():
    return lib().llmd_version().decode()


def version_number():
    return lib().llmd_version_number()


class Handle:
    """Base of the wrappers that own a library handle: close() (idempotent), context manager,
    and release on garbage collection.  Subclasses set self._h and define _release(handle)."""

    _h = None

    def _release(self, handle):
        raise NotImplementedError

    def close(self):
        if self._h:
            h, self._h = self._h, None
            self._release(h)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
