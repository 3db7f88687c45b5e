"""Delta Lake tables (include/llmdata/delta.h): snapshots as dicts, commits, restore, vacuum."""
import ctypes
import json

from ._lib import Api, Handle, c_int, check, lib, to_bytes

__all__ = ["DeltaTable", "DeltaSnapshot"]

_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_i64 = ctypes.c_int64


class _CreateOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("schema_json", _cp), ("partition_columns", ctypes.POINTER(_cp)),
                ("n_partition_columns", ctypes.c_size_t), ("config_keys", ctypes.POINTER(_cp)),
                ("config_values", ctypes.POINTER(_cp)), ("n_config", ctypes.c_size_t),
                ("name", _cp), ("description", _cp)]


class _Add(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("path", _cp), ("size", _i64), ("modification_time", _i64),
                ("partition_keys", ctypes.POINTER(_cp)), ("partition_values", ctypes.POINTER(_cp)),
                ("n_partitions", ctypes.c_size_t), ("stats_json", _cp), ("data_change", ctypes.c_bool)]


class _Append(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("source", _cp), ("partition_keys", ctypes.POINTER(_cp)),
                ("partition_values", ctypes.POINTER(_cp)), ("n_partitions", ctypes.c_size_t), ("stats_json", _cp),
                ("merge_schema", ctypes.c_bool)]


class _Predicate(ctypes.Structure):
    _fields_ = [("column", _cp), ("op", ctypes.c_int), ("value", _cp)]


class _ScanOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("columns", ctypes.POINTER(_cp)), ("n_columns", ctypes.c_size_t),
                ("predicates", ctypes.POINTER(_Predicate)), ("n_predicates", ctypes.c_size_t)]


_OPS = {"=": 0, "==": 0, "<": 1, "<=": 2, ">": 3, ">=": 4, "is null": 5, "is not null": 6, "!=": 7}


class _CheckpointOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("kind", ctypes.c_int), ("part_size", ctypes.c_uint64),
                ("v2_parquet", ctypes.c_bool), ("parts", ctypes.c_uint32)]


class _WriteOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("files", ctypes.POINTER(_cp)), ("n_files", ctypes.c_size_t),
                ("app_id", _cp), ("app_version", _i64), ("operation", _cp),
                ("operation_parameters_json", _cp), ("create", ctypes.c_bool)]


class _VacuumOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("retention_hours", ctypes.c_double),
                ("allow_short_retention", ctypes.c_bool), ("dry_run", ctypes.c_bool), ("now_ms", _i64)]


def _strings(values):
    arr = (_cp * max(len(values), 1))()
    for i, v in enumerate(values):
        arr[i] = None if v is None else to_bytes(v)
    return arr


def _take_json(ptr):
    try:
        return json.loads(ctypes.string_at(ptr).decode("utf-8"))
    finally:
        lib().llmd_free(ptr)


class DeltaSnapshot:
    """An immutable view of one version: `version`, `timestamp` (ms), `protocol`, `metadata`
    (with the parsed `schema`), `files` (dicts: path, size, modificationTime, partitionValues,
    stats, deletionVector)."""

    def __init__(self, data):
        self.version = data["version"]
        self.timestamp = data["timestamp"]
        self.protocol = data["protocol"]
        self.metadata = data["metaData"]
        self.schema = data["metaData"]["schema"]
        self.files = data["files"]

    def __repr__(self):
        return f"DeltaSnapshot(version={self.version}, files={len(self.files)})"


class DeltaTable(Handle):
    """A Delta table directory.  Snapshots read the log as the protocol says; commits are
    put-if-absent with Delta's conflict rules (llmdata.LlmdError with status_name
    LLMD_ERR_CONFLICT when a concurrent writer really conflicts)."""

    _what = "DeltaTable"

    def __init__(self, path):
        h = _vp()
        check(_api.llmd_delta_table_open(
            ctypes.byref(h), to_bytes(path), None))
        self.path = path
        self._set_handle(h)

    def _release(self, h):
        _api.llmd_delta_table_free(h)

    def __reduce__(self):
        return (DeltaTable, (self.path,))

    @classmethod
    def create(cls, path, schema, partition_by=(), properties=None):
        """Creates version 0.  `schema` is a Spark StructType as a dict or a JSON string."""
        t = cls(path)
        props = dict(properties or {})
        o = _CreateOptions()
        o.version = 1
        o.schema_json = to_bytes(schema if isinstance(schema, str) else json.dumps(schema))
        parts = _strings(list(partition_by))
        keys, vals = _strings(list(props.keys())), _strings(list(props.values()))
        o.partition_columns, o.n_partition_columns = parts, len(partition_by)
        o.config_keys, o.config_values, o.n_config = keys, vals, len(props)
        with t._use() as h:
            check(_api.llmd_delta_table_create(h, ctypes.byref(o)))
        return t

    def _open_snapshot(self, version, timestamp_ms):
        with self._use() as h:
            s = _vp()
            if version is not None and timestamp_ms is not None:
                raise ValueError("give version or timestamp_ms, not both")
            if version is not None:
                check(_api.llmd_delta_snapshot_at_version(
                    ctypes.byref(s), h, version))
            elif timestamp_ms is not None:
                check(_api.llmd_delta_snapshot_at_timestamp(
                    ctypes.byref(s), h, timestamp_ms))
            else:
                check(_api.llmd_delta_snapshot_latest(ctypes.byref(s), h))
            return s

    def snapshot(self, version=None, timestamp_ms=None):
        """The latest snapshot, or the one at `version`, or the one current at `timestamp_ms`."""
        s = self._open_snapshot(version, timestamp_ms)
        try:
            out = _vp()
            check(_api.llmd_delta_snapshot_to_json(
                s, ctypes.byref(out), None))
            return DeltaSnapshot(_take_json(out))
        finally:
            _api.llmd_delta_snapshot_free(s)

    def scan_rows(self, columns=None, version=None, timestamp_ms=None, where=None):
        """The snapshot's rows as a list of dicts (deletion vectors applied, partition values typed;
        dates and timestamps as ISO strings), through llmd_delta_scan_jsonl.  `where`: a list of
        (column, op, value) with op one of = != < <= > >= "is null" "is not null" (AND); files
        ruled out by partition values or stats are not read."""
        import os
        import tempfile
        s = self._open_snapshot(version, timestamp_ms)
        fd, path = tempfile.mkstemp(suffix=".jsonl")
        os.close(fd)
        try:
            cols = list(columns or [])
            preds = list(where or [])
            parr = (_Predicate * max(len(preds), 1))()
            for i, (col, op, val) in enumerate(preds):
                if op not in _OPS:
                    raise ValueError(f"unknown operator {op!r} (one of {sorted(_OPS)})")
                parr[i] = _Predicate(to_bytes(col), _OPS[op], None if val is None else to_bytes(str(val)))
            o = _ScanOptions(1, _strings(cols), len(cols), parr, len(preds))
            n = ctypes.c_uint64(0)
            check(_api.llmd_delta_scan_jsonl(s, path.encode(), ctypes.byref(o), ctypes.byref(n)))
            with open(path, "rb") as f:
                return [json.loads(line) for line in f]
        finally:
            os.unlink(path)
            _api.llmd_delta_snapshot_free(s)

    def scan(self, columns=None, version=None, timestamp_ms=None, where=None):
        """The snapshot's rows as numpy columns: {name: array}.  Integer columns without nulls are
        int64, other numeric columns float64 (null = NaN), booleans without nulls bool, the rest
        object arrays (str, None, lists, dicts)."""
        import numpy as np
        rows = self.scan_rows(columns, version, timestamp_ms, where)
        names = list(columns) if columns else [f["name"] for f in self.snapshot(version, timestamp_ms).schema["fields"]]
        out = {}
        for name in names:
            vals = [r.get(name) for r in rows]
            present = [v for v in vals if v is not None]
            if present and all(isinstance(v, bool) for v in present) and len(present) == len(vals):
                out[name] = np.array(vals, dtype=bool)
            elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present) and len(present) == len(vals):
                out[name] = np.array(vals, dtype=np.int64)
            elif present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
                out[name] = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
            else:
                arr = np.empty(len(vals), dtype=object)
                arr[:] = vals
                out[name] = arr
        return out

    def files(self, version=None):
        """Active files of a version as dicts."""
        return self.snapshot(version).files

    def history(self, limit=0):
        """The commit history, newest first (limit 0 = all), as a list of commitInfo dicts."""
        with self._use() as h:
            out = _vp()
            check(_api.llmd_delta_history_json(
                h, limit, ctypes.byref(out), None))
            return _take_json(out)

    def commit(self, add=(), append=(), remove=(), remove_all=False, properties=None, schema=None,
               merge_schema=True, app_id=None, app_version=None, operation="WRITE", parameters=None):
        """One transaction.  `add`: dicts {path, size, partitionValues, stats, modificationTime,
        dataChange} of files already in the table; `append`: dicts {source, partitionValues, stats, mergeSchema}
        of Parquet files to copy in (schema enforced, stats from the footers); `remove`: paths.  Returns the new version, or None when
        (app_id, app_version) was already committed."""
        with self._use() as h:
            x = _vp()
            check(_api.llmd_delta_txn_begin(ctypes.byref(x), h))
            try:
                if app_id is not None:
                    check(_api.llmd_delta_txn_set_app_version(x, to_bytes(app_id), app_version))
                check(_api.llmd_delta_txn_set_operation(
                    x, to_bytes(operation), None if parameters is None else to_bytes(json.dumps(parameters))))
                if schema is not None:
                    check(_api.llmd_delta_txn_set_schema(
                        x, to_bytes(schema if isinstance(schema, str) else json.dumps(schema)), merge_schema))
                for k, v in (properties or {}).items():
                    check(_api.llmd_delta_txn_set_property(
                        x, to_bytes(k), None if v is None else to_bytes(v)))
                if remove_all:
                    check(_api.llmd_delta_txn_remove_all(x))
                for p in remove:
                    check(_api.llmd_delta_txn_remove(x, to_bytes(p)))
                for f in add:
                    pv = f.get("partitionValues", {})
                    a = _Add(1, to_bytes(f["path"]), f["size"], f.get("modificationTime", 0), _strings(list(pv.keys())),
                             _strings(list(pv.values())), len(pv),
                             None if f.get("stats") is None else to_bytes(json.dumps(f["stats"])), f.get("dataChange", True))
                    check(_api.llmd_delta_txn_add(x, ctypes.byref(a)))
                for f in append:
                    pv = f.get("partitionValues", {})
                    a = _Append(1, to_bytes(f["source"]), _strings(list(pv.keys())), _strings(list(pv.values())), len(pv),
                                None if f.get("stats") is None else to_bytes(json.dumps(f["stats"])), f.get("mergeSchema", False))
                    check(_api.llmd_delta_txn_append_file(
                        x, ctypes.byref(a), None))
                v = _i64(-1)
                check(_api.llmd_delta_txn_commit(x, ctypes.byref(v)))
                return None if v.value < 0 else v.value
            finally:
                _api.llmd_delta_txn_free(x)

    def write_files(self, files, app_id=None, app_version=0, operation=None, parameters=None, create=False):
        """Copies the Parquet files `files` into the table and commits them as ONE version (stats
        from the footers, schema enforced; llmd_delta_write_files).  With `app_id`, a rerun whose
        `app_version` the table already holds commits nothing.  `operation`/`parameters` (a dict of
        strings) go to commitInfo; `create` makes a table without a log first (schema of files[0]).
        Returns (version or None when nothing was written, the table's version after the call)."""
        if isinstance(files, (str, bytes)):
            raise TypeError("files must be a list of paths, not a single path")
        files = list(files)
        o = _WriteOptions(1, _strings(files), len(files), None if app_id is None else to_bytes(app_id),
                          c_int(app_version, _i64, "app_version"), None if operation is None else to_bytes(operation),
                          None if parameters is None else to_bytes(json.dumps(parameters)), bool(create))
        with self._use() as h:
            v, tv = _i64(-1), _i64(-1)
            check(_api.llmd_delta_write_files(h, ctypes.byref(o), ctypes.byref(v), ctypes.byref(tv)))
            return (None if v.value < 0 else v.value), tv.value

    def restore(self, version):
        """Commits a restore of the table to `version`; returns the new version."""
        with self._use() as h:
            v = _i64(-1)
            check(_api.llmd_delta_restore(h, version, ctypes.byref(v)))
            return v.value

    def checkpoint(self, kind="auto", parts=0, part_size=0, v2_parquet=False):
        """Checkpoints the latest version; returns it.  kind: "auto" (the table's policy),
        "classic" (multi-part when parts > 1 or part_size splits it) or "v2" (sidecars);
        v2_parquet: the V2 top-level file as Parquet.  See llmd_delta_checkpoint_with."""
        kinds = {"auto": 0, "classic": 1, "v2": 2}
        if kind not in kinds:
            raise ValueError("kind must be one of %s, not %r" % (sorted(kinds), kind))
        if parts < 0 or part_size < 0:
            raise ValueError("parts and part_size must be >= 0")
        o = _CheckpointOptions(1, kinds[kind], part_size, v2_parquet, parts)
        with self._use() as h:
            v = _i64(-1)
            check(_api.llmd_delta_checkpoint_with(h, ctypes.byref(o), ctypes.byref(v)))
            return v.value

    def vacuum(self, retention_hours=168.0, dry_run=False, allow_short_retention=False, now_ms=0):
        """Removes data files no longer referenced and older than retention_hours; dry_run lists them only. Returns the result dict."""
        with self._use() as h:
            o = _VacuumOptions(1, retention_hours, allow_short_retention, dry_run, now_ms)
            out = _vp()
            check(_api.llmd_delta_vacuum(
                h, ctypes.byref(o), ctypes.byref(out)))
            return _take_json(out)


# The C functions this module calls (declared once; bound on first use).
_api = Api({
    "llmd_delta_table_free": (None, _vp),
    "llmd_delta_table_open": (ctypes.c_int, ctypes.POINTER(_vp), _cp, _vp),
    "llmd_delta_snapshot_free": (None, _vp),
    "llmd_delta_table_create": (ctypes.c_int, _vp, ctypes.POINTER(_CreateOptions)),
    "llmd_delta_snapshot_to_json": (ctypes.c_int, _vp, ctypes.POINTER(_vp), _vp),
    "llmd_delta_scan_jsonl": (ctypes.c_int, _vp, _cp, ctypes.POINTER(_ScanOptions), ctypes.POINTER(ctypes.c_uint64)),
    "llmd_delta_history_json": (ctypes.c_int, _vp, ctypes.c_size_t, ctypes.POINTER(_vp), _vp),
    "llmd_delta_txn_begin": (ctypes.c_int, ctypes.POINTER(_vp), _vp),
    "llmd_delta_txn_free": (None, _vp),
    "llmd_delta_restore": (ctypes.c_int, _vp, _i64, ctypes.POINTER(_i64)),
    "llmd_delta_checkpoint": (ctypes.c_int, _vp, ctypes.POINTER(_i64)),
    "llmd_delta_write_files": (ctypes.c_int, _vp, ctypes.POINTER(_WriteOptions), ctypes.POINTER(_i64), ctypes.POINTER(_i64)),
    "llmd_delta_checkpoint_with": (ctypes.c_int, _vp, ctypes.c_void_p, ctypes.POINTER(_i64)),
    "llmd_delta_vacuum": (ctypes.c_int, _vp, ctypes.POINTER(_VacuumOptions), ctypes.POINTER(_vp)),
    "llmd_delta_snapshot_at_version": (ctypes.c_int, ctypes.POINTER(_vp), _vp, _i64),
    "llmd_delta_txn_set_operation": (ctypes.c_int, _vp, _cp, _cp),
    "llmd_delta_txn_commit": (ctypes.c_int, _vp, ctypes.POINTER(_i64)),
    "llmd_delta_snapshot_at_timestamp": (ctypes.c_int, ctypes.POINTER(_vp), _vp, _i64),
    "llmd_delta_snapshot_latest": (ctypes.c_int, ctypes.POINTER(_vp), _vp),
    "llmd_delta_txn_set_app_version": (ctypes.c_int, _vp, _cp, _i64),
    "llmd_delta_txn_set_schema": (ctypes.c_int, _vp, _cp, ctypes.c_bool),
    "llmd_delta_txn_set_property": (ctypes.c_int, _vp, _cp, _cp),
    "llmd_delta_txn_remove_all": (ctypes.c_int, _vp),
    "llmd_delta_txn_remove": (ctypes.c_int, _vp, _cp),
    "llmd_delta_txn_add": (ctypes.c_int, _vp, ctypes.POINTER(_Add)),
    "llmd_delta_txn_append_file": (ctypes.c_int, _vp, ctypes.POINTER(_Append), _vp),
})
