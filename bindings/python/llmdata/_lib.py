"""Loading libllmdata, declaring its functions, checking values at the boundary and turning status
codes into exceptions (ctypes, no build step).

Every wrapper module follows the same three rules:
  * C functions are declared once, in a table given to `Api` ({name: (restype, *argtypes)});
  * every integer that crosses into C goes through `c_int` / `int_array` (TypeError for a
    non-integer, OverflowError outside the C type's range: ctypes itself would wrap silently);
  * every object owning a library handle derives from `Handle` and makes its calls inside
    `with self._use() as h:` so that close() from another thread cannot free the handle under a
    running call.
"""
import ctypes
import ctypes.util
import operator
import os
import threading

import numpy as np

_lock = threading.Lock()
_lib = None


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
                for name, (res, *args) in _COMMON.items():
                    f = getattr(handle, name)
                    f.restype = res
                    f.argtypes = args
                _lib = handle
    return _lib


_COMMON = {
    "llmd_last_error": (ctypes.c_char_p,),
    "llmd_status_str": (ctypes.c_char_p, ctypes.c_int),
    "llmd_version": (ctypes.c_char_p,),
    "llmd_version_number": (ctypes.c_uint,),
    "llmd_free": (None, ctypes.c_void_p),
}


def fn(name, restype, *argtypes):
    """Declares and returns one library function (ctypes releases the GIL during the call)."""
    f = getattr(lib(), name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class Api:
    """The library functions of one module, declared from a table {C name: (restype, *argtypes)}
    and bound on first use: `_api.llmd_tokenizer_free(h)`."""

    def __init__(self, table):
        self._table = dict(table)
        # Reentrant: a garbage-collected Handle may free itself (calling into this table) while
        # another function of the same table is being bound on this thread.
        self._bind_lock = threading.RLock()

    def __getattr__(self, name):
        try:
            sig = self._table[name]
        except KeyError:
            raise AttributeError(f"{name} is not declared") from None
        with self._bind_lock:
            f = self.__dict__.get(name)
            if f is None:
                f = fn(name, sig[0], *sig[1:])
                self.__dict__[name] = f
        return f


def status_name(status):
    """The library's name for a status code (llmd_status_str)."""
    return lib().llmd_status_str(int(status)).decode()


class LlmdError(Exception):
    """An llmdata call failed.  `status` is the llmd_status code, `status_name` its name (from the
    library) and the message is llmd_last_error() read on the same thread right after the call.

    Every error the binding raises for a library status is an instance of a subclass chosen by the
    status (ParseError, IoError, NotFoundError, ConflictError, ...), all deriving from LlmdError:
    `except llmdata.LlmdError` still catches everything, `except llmdata.NotFoundError` only that."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = status_name(status)
        self.message = message
        # One argument only: OSError would read (status, message) as (errno, strerror).
        super().__init__(f"{message} ({self.status_name})")

    def __str__(self):
        return self.args[0] if self.args else ""

    def __reduce__(self):
        """Pickles as (class, status, message), so an error raised in a multiprocessing / Dask
        worker arrives in the parent as the same class with the same fields."""
        return (_rebuild_error, (type(self), self.status, self.message))


class InvalidArgumentError(LlmdError, ValueError):
    """LLMD_ERR_INVALID_ARG: a value out of its domain (also a ValueError)."""


class OutOfMemoryError(LlmdError, MemoryError):
    """LLMD_ERR_NOMEM: an allocation failed inside the library (also a MemoryError)."""


class IoError(LlmdError, OSError):
    """LLMD_ERR_IO: a read, write, open, rename or fsync failed (also an OSError)."""


class ParseError(LlmdError, ValueError):
    """LLMD_ERR_PARSE: malformed input -- JSON, a file format, a pattern (also a ValueError)."""


class Utf8Error(ParseError):
    """LLMD_ERR_UTF8: invalid UTF-8 where strict input is required (a ParseError)."""


class UnsupportedError(LlmdError):
    """LLMD_ERR_UNSUPPORTED: a valid input using a feature this version does not implement."""


class NotFoundError(LlmdError, LookupError):
    """LLMD_ERR_NOT_FOUND: a named item (file, field, token, version) does not exist."""


class RangeError(LlmdError, ValueError):
    """LLMD_ERR_RANGE: a number out of range (an id beyond the vocabulary, a size over a limit)."""


class CorruptError(LlmdError):
    """LLMD_ERR_CORRUPT: a file written earlier fails its checks (magic, checksum, length)."""


class StateError(LlmdError):
    """LLMD_ERR_STATE: a call in the wrong order, or on a finished/failed object."""


class ConflictError(LlmdError):
    """LLMD_ERR_CONFLICT: a concurrent writer won (a commit version or a file already exists)."""


class SchemaError(LlmdError, ValueError):
    """LLMD_ERR_SCHEMA: data does not match the declared schema (a missing or mistyped field)."""


class VersionError(LlmdError):
    """LLMD_ERR_VERSION: an options struct or file of a version this library does not know."""


class TruncatedError(LlmdError):
    """LLMD_ERR_TRUNCATED: a buffer was too small."""


class InternalError(LlmdError):
    """LLMD_ERR_INTERNAL: a bug in llmdata -- please report it with the message."""


def _rebuild_error(cls, status, message):
    return cls(status, message)


# llmd_status code -> exception class (include/llmdata/common.h); unknown codes raise LlmdError.
ERRORS = {-1: InvalidArgumentError, -2: OutOfMemoryError, -3: IoError, -4: ParseError, -5: Utf8Error,
          -6: UnsupportedError, -7: NotFoundError, -8: RangeError, -9: CorruptError, -10: StateError,
          -11: ConflictError, -12: SchemaError, -13: VersionError, -14: TruncatedError, -15: InternalError}


def error_for(status, message):
    """The exception object for a status: the subclass of LlmdError the status maps to."""
    return ERRORS.get(int(status), LlmdError)(status, message)


def check(status):
    """Raises the LlmdError subclass of a non-zero status (reads the thread-local message
    immediately)."""
    if status != 0:
        msg = lib().llmd_last_error().decode("utf-8", "replace")
        raise error_for(status, msg)
    return status


def to_bytes(text):
    """UTF-8 bytes of a str (surrogates refused), or bytes as they are."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    if not isinstance(text, str):
        raise TypeError(f"expected str or bytes, got {type(text).__name__}")
    return text.encode("utf-8")


def version():
    """The library's version string, e.g. "0.2.0"."""
    return lib().llmd_version().decode()


def version_number():
    """The library's version as major * 10000 + minor * 100 + patch."""
    return lib().llmd_version_number()


# ---- integers crossing into C ----------------------------------------------------------------
_RANGES = {}


def c_range(ctype):
    """(lowest, highest) value of a ctypes integer type."""
    r = _RANGES.get(ctype)
    if r is None:
        bits = 8 * ctypes.sizeof(ctype)
        if ctype(-1).value == -1:
            r = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        else:
            r = (0, (1 << bits) - 1)
        _RANGES[ctype] = r
    return r


def c_int(value, ctype, name, lo=None, hi=None):
    """value as an int that fits ctype (and [lo, hi] when given).  TypeError for anything but an
    integer (float, bool, str; numpy integers are accepted), OverflowError outside the range --
    ctypes would otherwise wrap 2**32 + 5 to 5 and -1 to 4294967295 without a word."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    clo, chi = c_range(ctype)
    lo = clo if lo is None else max(lo, clo)
    hi = chi if hi is None else min(hi, chi)
    if not lo <= v <= hi:
        raise OverflowError(f"{name} = {v} is out of range [{lo}, {hi}]")
    return v


_NP_CTYPES = {np.dtype(np.uint32): ctypes.c_uint32, np.dtype(np.uint64): ctypes.c_uint64,
              np.dtype(np.int64): ctypes.c_int64, np.dtype(np.int32): ctypes.c_int32}


def int_array(values, dtype, name, ndim=1):
    """values (a sequence or array of integers) as a C-contiguous numpy array of dtype, checked
    the same way as c_int: TypeError for floats, bools or other non-integers, OverflowError for a
    value outside dtype's range (numpy's astype would wrap it)."""
    dtype = np.dtype(dtype)
    lo, hi = c_range(_NP_CTYPES[dtype])
    a = values if isinstance(values, np.ndarray) else np.asarray(values)
    if a.size == 0:
        return np.zeros(a.shape if a.ndim == ndim else (0,) * ndim, dtype)
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.dtype == object:   # Python ints beyond 64 bits, or mixed objects
        flat = [c_int(v, _NP_CTYPES[dtype], name) for v in a.reshape(-1)]
        return np.ascontiguousarray(np.array(flat, dtype=dtype).reshape(a.shape))
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not {a.dtype}")
    if a.dtype != dtype:
        mn, mx = int(a.min()), int(a.max())
        if mn < lo or mx > hi:
            bad = mn if mn < lo else mx
            raise OverflowError(f"{name} holds {bad}, out of range [{lo}, {hi}]")
    return np.ascontiguousarray(a, dtype=dtype)


# ---- handles ---------------------------------------------------------------------------------
class _State:
    """A handle and its in-flight call count; `use` is the (reusable, thread-safe) context
    manager that counts a call in and out."""
    __slots__ = ("lock", "busy", "closed", "h", "deps", "owner", "use")

    def __init__(self, owner, h, deps):
        self.lock = threading.Lock()
        self.busy = 0
        self.closed = False
        self.h = h
        self.deps = deps
        self.owner = owner
        self.use = _Use(self)


class _Use:
    __slots__ = ("_st",)

    def __init__(self, st):
        self._st = st

    def __enter__(self):
        st = self._st
        with st.lock:
            if st.closed:
                raise ValueError(f"{st.owner._what} is closed")
            st.busy += 1
            return st.h

    def __exit__(self, *exc):
        st = self._st
        with st.lock:
            st.busy -= 1
            if st.busy or not st.closed or st.h is None:
                return False
            h, st.h = st.h, None
        st.owner._free(h, st)
        return False


class Handle:
    """Base of every wrapper owning a library handle: close() (idempotent), context manager, and
    release on garbage collection.

    Subclasses store the handle with `self._set_handle(h, *deps)` and define _release(handle).
    Calls run inside `with self._use() as h:`; while any call is in flight the handle stays
    alive: close() marks the object closed at once (new calls raise ValueError) and the last call
    to return frees the handle, so closing from another thread (or from a callback) never frees
    memory a running call uses.  `deps` are Handle objects this one uses from C (a Packer writing
    into a ShardWriter): they are kept open until this handle is freed."""

    _what = "object"
    _hstate = None

    def _release(self, handle):
        raise NotImplementedError

    def _set_handle(self, h, *deps):
        pinned = []
        try:
            for d in deps:
                d._enter()
                pinned.append(d)
        except BaseException:
            for d in pinned:
                d._leave()
            self._release(h)
            raise
        self._hstate = _State(self, h, tuple(pinned))

    @property
    def _h(self):
        """The raw handle (None when closed); prefer _use() for calls."""
        st = self._hstate
        return None if st is None or st.closed else st.h

    @_h.setter
    def _h(self, h):   # older wrappers assign self._h = handle directly
        if h:
            self._set_handle(h)

    @property
    def closed(self):
        st = self._hstate
        return st is None or st.closed

    @property
    def _calls_in_flight(self):
        st = self._hstate
        return 0 if st is None else st.busy

    @property
    def _freed(self):
        st = self._hstate
        return st is None or st.h is None

    def _use(self):
        """Context manager of one call: `with self._use() as h:` gives the raw handle."""
        st = self._hstate
        if st is None:
            raise ValueError(f"{self._what} is closed")
        return st.use

    def _enter(self):
        return self._use().__enter__()

    def _leave(self):
        self._hstate.use.__exit__(None, None, None)

    def _free(self, h, st):
        try:
            self._release(h)
        finally:
            deps, st.deps = st.deps, ()
            for d in deps:
                d._leave()

    def close(self):
        """Releases the handle (at once, or when the last call in flight returns)."""
        st = self._hstate
        if st is None:
            return
        with st.lock:
            if st.closed:
                return
            st.closed = True
            h = st.h
            if st.busy or h is None:
                return
            st.h = None
        self._free(h, st)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
