"""Feature store (llmdata/feature.h): Feast-style point-in-time joins and online lookups, in-process.

>>> import llmdata
>>> repo = llmdata.FeatureRepo("feature_repo")           # DIR/*.json feature view definitions
>>> repo.apply()                                          # validates sources, writes registry.json
>>> out = repo.get_historical_features(
...     {"user_id": ["user_001", "user_001"],
...      "event_timestamp": ["2025-01-15T10:00:00Z", "2025-03-01T14:00:00Z"]},
...     ["user_features:total_conversations"])
>>> out["total_conversations"]                            # numpy masked array: masked = null
>>> repo.materialize("2025-01-01", "2025-04-01")
>>> values, status = repo.online("user_features").get({"user_id": ["user_001"]})

Entity rows are a dict of equal-length columns (lists or numpy arrays) or a pandas DataFrame: the
join keys (str -> STRING keys, int -> INT64 keys) and the event timestamp column (ISO 8601
strings, numpy datetime64, pandas Timestamps, or integers = epoch microseconds).  Results are
dicts of numpy masked arrays (masked = null; strings and bytes as object arrays, embeddings as 2-D
float32), or a pandas DataFrame with the entity columns followed by the features when the entity
rows were a DataFrame (Feast's `.to_df()`).  Rules: see include/llmdata/feature.h.

A FeatureRepo and an OnlineSnapshot are immutable and may be shared by threads; both pickle by
their path (re-opened on unpickling), so they can be sent to multiprocessing/Dask workers.
"""
import ctypes

import numpy as np

from ._lib import Api, Handle, c_int, check, lib, to_bytes

__all__ = ["FeatureRepo", "OnlineSnapshot", "HistoricalResult", "parse_timestamp", "PRESENT", "MISSING", "OUTSIDE_TTL", "NULL"]

PRESENT, MISSING, OUTSIDE_TTL, NULL = 0, 1, 2, 3
_DT_INT64, _DT_F32, _DT_F64, _DT_STRING, _DT_BYTES, _DT_BOOL, _DT_VEC = range(1, 8)
_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_cp = ctypes.c_char_p
_P = ctypes.POINTER
_i64p = _P(ctypes.c_int64)


class _KeyColumn(ctypes.Structure):
    _fields_ = [("name", _cp), ("is_string", ctypes.c_int), ("ints", _i64p), ("offsets", _i64p), ("bytes", _cp)]


class _Column(ctypes.Structure):
    _fields_ = [("name", _cp), ("dtype", ctypes.c_int), ("length", _sz), ("vector_length", ctypes.c_uint32),
                ("validity", _P(ctypes.c_uint8)), ("values", _vp), ("offsets", _i64p)]


class _HistOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("full_feature_names", ctypes.c_int), ("threads", ctypes.c_uint),
                ("memory_limit", ctypes.c_uint64), ("temp_dir", _cp)]


class _MatStats(ctypes.Structure):
    _fields_ = [("rows_read", ctypes.c_uint64), ("rows_in_window", ctypes.c_uint64), ("keys", ctypes.c_uint64),
                ("start_us", ctypes.c_int64), ("end_us", ctypes.c_int64)]


_api = Api({
    "llmd_feature_repo_open": (ctypes.c_int, _P(_vp), _cp),
    "llmd_feature_repo_free": (None, _vp),
    "llmd_feature_repo_apply": (ctypes.c_int, _vp),
    "llmd_feature_repo_view_count": (_sz, _vp),
    "llmd_feature_repo_view_name": (_cp, _vp, _sz),
    "llmd_feature_repo_join_key_count": (_sz, _vp, _sz),
    "llmd_feature_repo_join_key": (_cp, _vp, _sz, _sz),
    "llmd_feature_historical": (ctypes.c_int, _vp, _P(_cp), _sz, _P(_KeyColumn), _sz, _i64p, _sz,
                                _P(_HistOptions), _P(_vp)),
    "llmd_feature_result_rows": (_sz, _vp),
    "llmd_feature_result_column_count": (_sz, _vp),
    "llmd_feature_result_column": (ctypes.c_int, _vp, _sz, _P(_Column)),
    "llmd_feature_result_status": (_P(ctypes.c_uint8), _vp),
    "llmd_feature_result_free": (None, _vp),
    "llmd_feature_result_source_version": (ctypes.c_int64, _vp, _sz),
    "llmd_feature_result_spill_bytes": (ctypes.c_uint64, _vp),
    "llmd_feature_materialize": (ctypes.c_int, _vp, _cp, ctypes.c_int64, ctypes.c_int64, _P(_MatStats)),
    "llmd_feature_materialize_incremental": (ctypes.c_int, _vp, _cp, ctypes.c_int64, _P(_MatStats)),
    "llmd_online_snapshot_open": (ctypes.c_int, _P(_vp), _vp, _cp),
    "llmd_online_snapshot_free": (None, _vp),
    "llmd_online_snapshot_keys": (ctypes.c_uint64, _vp),
    "llmd_online_lookup": (ctypes.c_int, _vp, _P(_KeyColumn), _sz, _sz, _P(_cp), _sz, ctypes.c_int64, _P(_vp)),
    "llmd_online_feature_count": (_sz, _vp),
    "llmd_online_feature_name": (_cp, _vp, _sz),
    "llmd_parse_timestamp": (ctypes.c_int, _cp, _sz, _i64p),
})


def parse_timestamp(text):
    """An ISO 8601 timestamp (str) as epoch microseconds (no zone = UTC, as Feast)."""
    b = to_bytes(text)
    out = ctypes.c_int64()
    check(_api.llmd_parse_timestamp(b, len(b), ctypes.byref(out)))
    return out.value


def _times_us(values, name):
    """A column of timestamps as int64 epoch microseconds."""
    a = np.asarray(values)
    if a.dtype.kind == "M":
        return np.ascontiguousarray(a.astype("datetime64[us]").astype(np.int64))
    if a.dtype.kind in "iu":
        return np.ascontiguousarray(a.astype(np.int64))
    out = np.empty(len(a), dtype=np.int64)
    for i, v in enumerate(a.tolist() if a.dtype != object else a):
        if isinstance(v, str):
            out[i] = parse_timestamp(v)
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out[i] = c_int(v, ctypes.c_int64, name)
        elif hasattr(v, "to_datetime64"):           # pandas Timestamp
            out[i] = np.datetime64(v.to_datetime64(), "us").astype(np.int64)
        elif isinstance(v, np.datetime64):
            out[i] = v.astype("datetime64[us]").astype(np.int64)
        else:
            raise TypeError(f"{name}[{i}]: a timestamp must be an ISO 8601 str, a datetime64 or epoch "
                            f"microseconds, not {type(v).__name__}")
    return out


class HistoricalResult(dict):
    """get_historical_features' columns ({name: array}), with the Delta version each Delta-sourced
    view was read at (`source_versions`: {view: version}) and the bytes spilled (`spill_bytes`)."""

    def __init__(self, columns):
        super().__init__(columns)
        self.source_versions = {}
        self.spill_bytes = 0


class _Keys:
    """Key columns for C: keeps the numpy buffers alive while the call runs."""

    def __init__(self, columns, names, n):
        self.keep = []
        self.cols = (_KeyColumn * max(len(names), 1))()
        for i, name in enumerate(names):
            if name not in columns:
                raise KeyError(f"entity rows lack the join key column {name!r}")
            vals = columns[name]
            a = np.asarray(vals)
            if len(a) != n:
                raise ValueError(f"column {name!r} has {len(a)} values, expected {n}")
            nb = name.encode()
            self.keep.append(nb)
            c = self.cols[i]
            c.name = nb
            if a.dtype.kind in "iu":
                arr = np.ascontiguousarray(a.astype(np.int64))
                self.keep.append(arr)
                c.is_string, c.ints = 0, arr.ctypes.data_as(_i64p)
            else:
                items = [v if isinstance(v, (bytes, str)) else None for v in a.tolist()]
                if any(v is None for v in items):
                    bad = next(i for i, v in enumerate(items) if v is None)
                    raise TypeError(f"{name}[{bad}]: a join key must be a str or an int")
                enc = [to_bytes(v) for v in items]
                offs = np.zeros(n + 1, dtype=np.int64)
                np.cumsum([len(e) for e in enc], out=offs[1:]) if n else None
                blob = b"".join(enc) + b"\0"
                self.keep += [offs, blob]
                c.is_string, c.offsets, c.bytes = 1, offs.ctypes.data_as(_i64p), blob


def _columns_of(result):
    """The C result as {name: masked array} (and the status array for online results)."""
    out = {}
    rows = _api.llmd_feature_result_rows(result)
    for i in range(_api.llmd_feature_result_column_count(result)):
        c = _Column()
        check(_api.llmd_feature_result_column(result, i, ctypes.byref(c)))
        valid = np.ctypeslib.as_array(c.validity, (rows,)).astype(bool) if rows else np.zeros(0, bool)
        dt = c.dtype
        if dt in (_DT_STRING, _DT_BYTES):
            offs = np.ctypeslib.as_array(c.offsets, (rows + 1,)) if rows else np.zeros(1, np.int64)
            raw = ctypes.string_at(c.values, int(offs[-1])) if rows else b""
            vals = np.empty(rows, dtype=object)
            for r in range(rows):
                if valid[r]:
                    b = raw[offs[r]:offs[r + 1]]
                    vals[r] = b.decode("utf-8", "replace") if dt == _DT_STRING else b
            arr = np.ma.array(vals, mask=~valid)
        else:
            ctype, shape = {_DT_INT64: (np.int64, (rows,)), _DT_F32: (np.float32, (rows,)),
                            _DT_F64: (np.float64, (rows,)), _DT_BOOL: (np.uint8, (rows,)),
                            _DT_VEC: (np.float32, (rows, c.vector_length))}[dt]
            n = int(np.prod(shape))
            buf = (ctypes.c_char * (n * np.dtype(ctype).itemsize)).from_address(c.values) if n else b""
            vals = np.frombuffer(bytes(buf), dtype=ctype).reshape(shape).copy() if n else np.zeros(shape, ctype)
            if dt == _DT_BOOL:
                vals = vals.astype(bool)
            mask = ~valid if dt != _DT_VEC else np.repeat(~valid[:, None], c.vector_length, axis=1)
            arr = np.ma.array(vals, mask=mask)
        out[c.name.decode()] = arr
    return out


def _to_pandas_column(a):
    if a.dtype == object:
        return a.filled(None) if np.ma.isMaskedArray(a) else a
    if a.ndim == 2:
        return [None if m.all() else list(v) for v, m in zip(a.data, np.ma.getmaskarray(a))]
    return a.astype(float).filled(np.nan) if a.dtype.kind in "iub" and a.mask.any() else a.filled()


class FeatureRepo(Handle):
    """A repo of feature view definitions (DIR/*.json, Feast's field names)."""
    _what = "FeatureRepo"

    def __init__(self, path):
        self.path = str(path)
        h = _vp()
        check(_api.llmd_feature_repo_open(ctypes.byref(h), self.path.encode()))
        self._set_handle(h)

    def _release(self, h):
        _api.llmd_feature_repo_free(h)

    def __reduce__(self):
        return (FeatureRepo, (self.path,))

    @property
    def views(self):
        """Names of the feature views in the repository."""
        with self._use() as h:
            return [_api.llmd_feature_repo_view_name(h, i).decode()
                    for i in range(_api.llmd_feature_repo_view_count(h))]

    def join_keys(self, view):
        """Join key column names of `view`."""
        with self._use() as h:
            for i in range(_api.llmd_feature_repo_view_count(h)):
                if _api.llmd_feature_repo_view_name(h, i).decode() == view:
                    return [_api.llmd_feature_repo_join_key(h, i, k).decode()
                            for k in range(_api.llmd_feature_repo_join_key_count(h, i))]
        raise KeyError(f"no view {view!r}")

    def apply(self):
        """Validates every view's source and writes DIR/registry.json."""
        with self._use() as h:
            check(_api.llmd_feature_repo_apply(h))

    def get_historical_features(self, entity_rows, features, full_feature_names=False, threads=0,
                                timestamp_field="event_timestamp", memory_limit=0, temp_dir=None):
        """Feast get_historical_features: for each entity row, each feature's value as of the row's
        event timestamp (point-in-time correct; null = masked / NaN / None).

        memory_limit (bytes, 0 = none) bounds a view's source rows in memory: larger sources spill
        to zstd temp files in temp_dir (default $TMPDIR), with the same result.  The Delta version
        each Delta-sourced view was read at is in `.source_versions` ({view: version}) of the dict
        result, or in `df.attrs["source_versions"]` of a DataFrame result; `.spill_bytes` /
        `df.attrs["spill_bytes"]` tell how much was spilled."""
        if isinstance(features, (str, bytes)):
            raise TypeError("features must be a list of 'view:feature' strings, not a single string")
        feats = [f if isinstance(f, str) else f.decode() for f in features]
        is_df = hasattr(entity_rows, "columns") and hasattr(entity_rows, "to_numpy")
        cols = {c: entity_rows[c].to_numpy() for c in entity_rows.columns} if is_df else dict(entity_rows)
        if timestamp_field not in cols:
            raise KeyError(f"entity rows lack the timestamp column {timestamp_field!r}")
        ts = _times_us(cols[timestamp_field], timestamp_field)
        n = len(ts)
        keys = []
        views = self.views
        for f in feats:
            view = f.split(":", 1)[0]
            for k in (self.join_keys(view) if ":" in f and view in views else []):   # else C names the error
                if k not in keys:
                    keys.append(k)
        kc = _Keys(cols, keys, n)
        opts = _HistOptions(2, 1 if full_feature_names else 0, c_int(threads, ctypes.c_uint, "threads"),
                            c_int(memory_limit, ctypes.c_uint64, "memory_limit"),
                            None if temp_dir is None else to_bytes(temp_dir))
        refs = (_cp * max(len(feats), 1))(*[f.encode() for f in feats])
        res = _vp()
        with self._use() as h:
            check(_api.llmd_feature_historical(h, refs, len(feats), kc.cols, len(keys), ts.ctypes.data_as(_i64p), n,
                                               ctypes.byref(opts), ctypes.byref(res)))
        try:
            out = HistoricalResult(_columns_of(res))
            for i, f in enumerate(feats):
                v = _api.llmd_feature_result_source_version(res, i)
                if v >= 0:
                    out.source_versions[f.split(":", 1)[0]] = v
            out.spill_bytes = _api.llmd_feature_result_spill_bytes(res)
        finally:
            _api.llmd_feature_result_free(res)
        if is_df:
            df = entity_rows.copy()
            for name, a in out.items():
                df[name] = _to_pandas_column(a)
            df.attrs["source_versions"] = dict(out.source_versions)
            df.attrs["spill_bytes"] = out.spill_bytes
            return df
        return out

    def materialize(self, start, end, views=None):
        """Feast materialize: latest row per entity key with start <= event time <= end, per view."""
        s, e = _times_us([start], "start")[0], _times_us([end], "end")[0]
        return [self._materialize(v, int(s), int(e), False) for v in (views or self.views)]

    def materialize_incremental(self, end, views=None):
        """Feast materialize-incremental: merges rows newer than the last materialized end."""
        e = _times_us([end], "end")[0]
        return [self._materialize(v, 0, int(e), True) for v in (views or self.views)]

    def _materialize(self, view, start, end, incremental):
        st = _MatStats()
        with self._use() as h:
            if incremental:
                check(_api.llmd_feature_materialize_incremental(h, view.encode(), end, ctypes.byref(st)))
            else:
                check(_api.llmd_feature_materialize(h, view.encode(), start, end, ctypes.byref(st)))
        return {"view": view, "rows_read": st.rows_read, "rows_in_window": st.rows_in_window, "keys": st.keys}

    def online(self, view):
        """The view's online snapshot (materialize first)."""
        return OnlineSnapshot(self, view)


class OnlineSnapshot(Handle):
    """A materialized view, memory-mapped; lookups are lock-free (share it between threads)."""
    _what = "OnlineSnapshot"

    def __init__(self, repo, view):
        if isinstance(repo, (str, bytes)):
            repo = FeatureRepo(repo)
        self.repo, self.view = repo, view
        self._keys = repo.join_keys(view)
        h = _vp()
        with repo._use() as rh:
            check(_api.llmd_online_snapshot_open(ctypes.byref(h), rh, view.encode()))
        self._set_handle(h)

    def _release(self, h):
        _api.llmd_online_snapshot_free(h)

    def __reduce__(self):
        return (OnlineSnapshot, (self.repo.path, self.view))

    def __len__(self):
        with self._use() as h:
            return _api.llmd_online_snapshot_keys(h)

    @property
    def features(self):
        """Names of the features the snapshot holds."""
        with self._use() as h:
            return [_api.llmd_online_feature_name(h, i).decode() for i in range(_api.llmd_online_feature_count(h))]

    def get(self, keys, features=None, now=None):
        """Feast get_online_features: {join key: values} -> ({feature: masked array}, status array of
        shape (n, features): PRESENT, MISSING, OUTSIDE_TTL or NULL).  now: timestamp for the ttl
        check (None: the current time; 0: no check)."""
        cols = {c: keys[c].to_numpy() for c in keys.columns} if hasattr(keys, "columns") else dict(keys)
        n = len(np.asarray(cols[self._keys[0]])) if self._keys and self._keys[0] in cols else 0
        kc = _Keys(cols, self._keys, n)
        feats = list(features) if features else []
        refs = (_cp * max(len(feats), 1))(*[f.encode() for f in feats])
        if now is None:
            import time
            now_us = int(time.time() * 1e6)
        else:
            now_us = int(_times_us([now], "now")[0]) if now != 0 else 0
        res = _vp()
        with self._use() as h:
            check(_api.llmd_online_lookup(h, kc.cols, len(self._keys), n, refs, len(feats), now_us, ctypes.byref(res)))
        try:
            out = _columns_of(res)
            ncol = len(out)
            sp = _api.llmd_feature_result_status(res)
            status = np.ctypeslib.as_array(sp, (n * ncol,)).reshape(n, ncol).copy() if n and ncol else \
                np.zeros((n, ncol), np.uint8)
        finally:
            _api.llmd_feature_result_free(res)
        return out, status
