"""Parquet files (llmdata/parquet.h) through ctypes, with numpy arrays in Arrow's layout.

Reading a column gives numpy arrays (copied out of the library's batch):

>>> f = llmdata.ParquetFile("shard.parquet")
>>> f.num_rows, f.schema                       # [(name, type name, nullable), ...]
>>> col = f.read_column("input_ids")           # list<int32>: Column(offsets=int64[n+1], values=int32[...])
>>> window0 = col.values[col.offsets[0]:col.offsets[1]]
>>> f.read_column("text").to_pylist()          # strings: offsets + UTF-8 bytes, or Python strs

Writing a file from numpy arrays (zstd, row groups cut at row_group_bytes):

>>> llmdata.write_parquet("out.parquet", {
...     "input_ids": llmdata.ListColumn(offsets, tokens),        # list<int32>
...     "doc": np.arange(n, dtype=np.int64),
...     "text": ["a", "b", None],                                # strings (None = null)
... }, codec="zstd")

Column(values, offsets, validity, value_validity): `validity` is a numpy bool array (None when the
column has no nulls); for lists `value_validity` is the elements' validity.

Nested columns keep Arrow's shape, children as Columns (numpy all the way down, no per-row objects):
  list<string>, list<list<..>>, list<struct>, ...   values = the element Column, offsets = int64[n+1]
  struct                                           values = {child name: Column}, offsets = None
  map                                              values = {"key": Column, "value": Column},
                                                   offsets = int64[n+1] into both
`Column.to_pylist()` turns any column into Python objects: str (bytes for BINARY or invalid UTF-8),
numbers, decimal.Decimal for DECIMAL, lists, dicts for structs, lists of (key, value) tuples for maps
(as pyarrow), None for nulls.  Booleans come back as
numpy bool arrays; DATE as int32 days, TIMESTAMP as int64 in the column's unit, DECIMAL as 16-byte
records (dtype 'V16'), FIXED/UUID as fixed-size byte records.
"""
import collections
import ctypes
import decimal

import numpy as np

from ._lib import Api, Handle, check, to_bytes

__all__ = ["ParquetFile", "Column", "ListColumn", "write_parquet"]

_vp = ctypes.c_void_p


class _Column(ctypes.Structure):
    pass


_Column._fields_ = [("length", ctypes.c_int64), ("offset", ctypes.c_int64), ("validity", _vp), ("offsets", _vp),
                    ("values", _vp), ("children", ctypes.POINTER(_Column)), ("n_children", ctypes.c_size_t),
                    ("offsets64", ctypes.c_int)]


class _Type(ctypes.Structure):
    _fields_ = [("id", ctypes.c_int), ("byte_width", ctypes.c_int32), ("precision", ctypes.c_int32),
                ("scale", ctypes.c_int32), ("unit", ctypes.c_int), ("utc", ctypes.c_int)]


class _WriteOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("codec", ctypes.c_int), ("compression_level", ctypes.c_int),
                ("row_group_bytes", ctypes.c_uint64), ("page_bytes", ctypes.c_uint64),
                ("dictionary_bytes", ctypes.c_uint64), ("data_page_version", ctypes.c_int),
                ("statistics", ctypes.c_int)]


# llmd_type_id values
BOOL, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, FLOAT, DOUBLE, STRING, BINARY, FIXED_BINARY, \
    DATE, TIME, TIMESTAMP, DECIMAL, UUID, STRUCT, LIST, MAP = range(1, 23)
_DTYPES = {INT8: np.int8, INT16: np.int16, INT32: np.int32, INT64: np.int64, UINT8: np.uint8, UINT16: np.uint16,
           UINT32: np.uint32, UINT64: np.uint64, FLOAT: np.float32, DOUBLE: np.float64, DATE: np.int32,
           TIMESTAMP: np.int64}
_FROM_DTYPE = {np.dtype(v): k for k, v in _DTYPES.items() if k not in (DATE, TIMESTAMP)}

class Column(collections.namedtuple("Column", "values offsets validity value_validity")):
    """A column read from Parquet (see the module documentation for the nested forms).  `kind` says
    what it holds when the numpy arrays alone cannot: "string", "binary", "list", "struct", "map",
    "decimal" (then `scale` is set) -- None for other primitive columns and lists of primitives."""
    kind = None
    scale = 0


def _with_kind(col, kind):
    col.kind = kind
    return col


def _nrows(col):
    if col.offsets is not None:
        return len(col.offsets) - 1
    if isinstance(col.values, dict):
        return _nrows(next(iter(col.values.values()))) if col.values else 0
    return len(col.values)


def _column_to_pylist(self):
    """Python values: str/bytes for strings, lists for lists, dicts for structs, lists of (key,
    value) tuples for maps, None for nulls."""
    valid = self.validity
    kind = self.kind
    if kind in ("list", "struct", "map"):
        n = _nrows(self)
        if kind == "struct":
            kids = {k: c.to_pylist() for k, c in self.values.items()}
            rows = [{k: kids[k][i] for k in kids} for i in range(n)]
        elif kind == "map":
            keys, vals = self.values["key"].to_pylist(), self.values["value"].to_pylist()
            o = self.offsets
            rows = [list(zip(keys[o[i]:o[i + 1]], vals[o[i]:o[i + 1]])) for i in range(n)]
        else:
            elems = self.values.to_pylist()
            o = self.offsets
            rows = [elems[o[i]:o[i + 1]] for i in range(n)]
        return [r if valid is None or valid[i] else None for i, r in enumerate(rows)]

    def one(i, values, offsets):
        a, b = int(offsets[i]), int(offsets[i + 1])
        return values[a:b]

    out = []
    n = len(self.offsets) - 1 if self.offsets is not None else len(self.values)
    for i in range(n):
        if valid is not None and not valid[i]:
            out.append(None)
        elif self.offsets is not None and (kind in ("string", "binary") or (
                kind is None and self.values.dtype == np.uint8 and self.value_validity is None)):
            raw = one(i, self.values, self.offsets).tobytes()
            if kind == "binary":
                out.append(raw)
                continue
            try:
                out.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(raw)
        elif self.offsets is not None:
            a, b = int(self.offsets[i]), int(self.offsets[i + 1])
            vals = self.values[a:b].tolist()
            if self.value_validity is not None:
                vals = [v if ok else None for v, ok in zip(vals, self.value_validity[a:b])]
            out.append(vals)
        elif kind == "decimal":
            unscaled = int.from_bytes(self.values[i].tobytes(), "little", signed=True)
            out.append(decimal.Decimal(unscaled).scaleb(-self.scale))
        else:
            out.append(self.values[i].item() if hasattr(self.values[i], "item") else self.values[i])
    return out


Column.to_pylist = _column_to_pylist
ListColumn = collections.namedtuple("ListColumn", "offsets values")
ListColumn.__doc__ = "A list<primitive> column to write: offsets (n+1, int32/int64) and element values (numpy)."





def _bits(ptr, offset, n):
    if not ptr or n == 0:
        return None
    nbytes = (offset + n + 7) // 8
    raw = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_uint8)), shape=(nbytes,))
    return np.unpackbits(raw, bitorder="little")[offset:offset + n].astype(bool)


def _array(ptr, dtype, n):
    dtype = np.dtype(dtype)
    if n == 0 or not ptr:
        return np.zeros(0, dtype)
    buf = (ctypes.c_char * (n * dtype.itemsize)).from_address(ptr)
    return np.frombuffer(buf, dtype=dtype, count=n).copy()


def _offsets(c, n):
    return _array(c.offsets, np.int64 if c.offsets64 else np.int32, n + 1).astype(np.int64)


class ParquetFile(Handle):
    """ParquetFile(path): schema, num_rows, num_row_groups, metadata, read_column(name)."""

    def _release(self, handle):
        _api.llmd_parquet_reader_free(handle)

    def __init__(self, path):
        self._h = None
        h = _vp()
        check(_api.llmd_parquet_reader_open(ctypes.byref(h), to_bytes(str(path)), None))
        self._h = h
        self._s = _api.llmd_parquet_reader_schema(h)

    @property
    def num_rows(self):
        return _api.llmd_parquet_reader_num_rows(self._h)

    @property
    def num_row_groups(self):
        return _api.llmd_parquet_reader_num_row_groups(self._h)

    def _field(self, fid):
        t = _api.llmd_schema_type(self._s, fid)
        return t

    @property
    def schema(self):
        """[(name, type name, nullable)] of the top-level columns."""
        out = []
        for i in range(_api.llmd_schema_child_count(self._s, 0)):
            fid = _api.llmd_schema_child(self._s, 0, i)
            t = self._field(fid)
            out.append((_api.llmd_schema_name(self._s, fid).decode(), _api.llmd_type_name(t.id).decode(),
                        bool(_api.llmd_schema_nullable(self._s, fid))))
        return out

    @property
    def metadata(self):
        out = {}
        for i in range(_api.llmd_parquet_reader_metadata_count(self._h)):
            k, v = ctypes.c_char_p(), ctypes.c_char_p()
            check(_api.llmd_parquet_reader_metadata_at(self._h, i, ctypes.byref(k), ctypes.byref(v)))
            out[k.value.decode()] = v.value.decode() if v.value is not None else None
        return out

    def _convert(self, fid, c):
        t = self._field(fid)
        n = c.length
        validity = _bits(c.validity, c.offset, n)
        if t.id in (STRING, BINARY):
            offs = _offsets(c, n)
            return _with_kind(Column(_array(c.values, np.uint8, int(offs[-1])), offs, validity, None),
                              "string" if t.id == STRING else "binary")
        if t.id == LIST:
            offs = _offsets(c, n)
            child_id = _api.llmd_schema_child(self._s, fid, 0)
            child = self._convert(child_id, c.children[0])
            if child.offsets is not None or child.kind is not None:   # nested elements: keep the Column
                return _with_kind(Column(child, offs, validity, None), "list")
            return Column(child.values, offs, validity, child.validity)
        if t.id in (STRUCT, MAP):
            kids = {}
            for k in range(_api.llmd_schema_child_count(self._s, fid)):
                kid = _api.llmd_schema_child(self._s, fid, k)
                name = "key" if t.id == MAP and k == 0 else "value" if t.id == MAP else \
                    _api.llmd_schema_name(self._s, kid).decode()
                kids[name] = self._convert(kid, c.children[k])
            offs = _offsets(c, n) if t.id == MAP else None
            return _with_kind(Column(kids, offs, validity, None), "struct" if t.id == STRUCT else "map")
        if t.id == BOOL:
            return Column(_bits(c.values, c.offset, n) if n else np.zeros(0, bool), None, validity, None)
        if t.id in (DECIMAL, UUID, FIXED_BINARY):
            w = 16 if t.id != FIXED_BINARY else t.byte_width
            col = Column(_array(c.values, np.dtype(f"V{w}"), n), None, validity, None)
            if t.id == DECIMAL:
                col.scale = t.scale
                return _with_kind(col, "decimal")
            return col
        if t.id == TIME:
            return Column(_array(c.values, np.int32 if t.unit == 0 else np.int64, n), None, validity, None)
        return Column(_array(c.values, _DTYPES[t.id], n), None, validity, None)

    def read_column(self, name, row_group=None):
        """The column `name` of one row group (or all of them, concatenated) as a Column."""
        names = (ctypes.c_char_p * 1)(to_bytes(name))
        check(_api.llmd_parquet_reader_select(self._h, names, 1))
        groups = range(self.num_row_groups) if row_group is None else [row_group]
        parts = []
        fid = None
        for g in groups:
            b = _vp()
            check(_api.llmd_parquet_reader_read_row_group(self._h, g, ctypes.byref(b)))
            try:
                fid = _api.llmd_parquet_batch_field(b, 0)
                parts.append(self._convert(fid, _api.llmd_parquet_batch_column(b, 0).contents))
            finally:
                _api.llmd_parquet_batch_free(b)
        check(_api.llmd_parquet_reader_select(self._h, None, 0))
        if not parts:
            return Column(np.zeros(0), None, None, None)
        return _concat(parts)


def _concat(parts):
    if len(parts) == 1:
        return parts[0]
    kind = parts[0].kind
    if isinstance(parts[0].values, dict):
        values = {k: _concat([p.values[k] for p in parts]) for k in parts[0].values}
    elif isinstance(parts[0].values, Column):
        values = _concat([p.values for p in parts])
    else:
        values = np.concatenate([p.values for p in parts])
    offsets = None
    if parts[0].offsets is not None:
        pieces, base = [np.zeros(1, np.int64)], 0
        for p in parts:
            pieces.append(p.offsets[1:] + base)
            base += int(p.offsets[-1])
        offsets = np.concatenate(pieces)
    n = [_nrows(p) for p in parts]

    def cat_valid(vs, lens):
        if all(v is None for v in vs):
            return None
        return np.concatenate([v if v is not None else np.ones(k, bool) for v, k in zip(vs, lens)])

    validity = cat_valid([p.validity for p in parts], n)
    vv = None
    if not isinstance(values, (dict, Column)):
        vv = cat_valid([p.value_validity for p in parts], [len(p.values) for p in parts])
    out = _with_kind(Column(values, offsets, validity, vv), kind)
    out.scale = parts[0].scale
    return out


# ---- writing --------------------------------------------------------------------------------------

def _pack_bits(mask):
    return np.packbits(np.asarray(mask, dtype=bool), bitorder="little")


def _prepare(name, data, keep):
    """(llmd_type, nullable, _Column) for one input; arrays the column points to go into keep."""
    col = _Column()
    if isinstance(data, ListColumn):
        offs = np.ascontiguousarray(np.asarray(data.offsets))
        vals = np.ascontiguousarray(np.asarray(data.values))
        if vals.dtype not in _FROM_DTYPE:
            raise TypeError(f"{name}: list values of dtype {vals.dtype} are not supported")
        offs = offs.astype(np.int64 if offs.dtype == np.int64 else np.int32)
        child = (_Column * 1)()
        child[0].length = len(vals)
        child[0].values = vals.ctypes.data
        keep += [offs, vals, child]
        col.length = len(offs) - 1
        col.offsets = offs.ctypes.data
        col.offsets64 = 1 if offs.dtype == np.int64 else 0
        col.children = child
        col.n_children = 1
        return _Type(LIST), False, col, _Type(_FROM_DTYPE[vals.dtype])
    if isinstance(data, (list, tuple)) and (not data or isinstance(next((x for x in data if x is not None), ""),
                                                                   (str, bytes))):
        is_str = all(isinstance(x, str) or x is None for x in data)
        raw = [(x.encode("utf-8") if isinstance(x, str) else (x or b"")) for x in data]
        lens = np.fromiter((len(x) for x in raw), dtype=np.int64, count=len(raw))
        offs = np.zeros(len(raw) + 1, np.int64)
        np.cumsum(lens, out=offs[1:])
        blob = np.frombuffer(b"".join(raw), dtype=np.uint8) if raw else np.zeros(0, np.uint8)
        blob = np.ascontiguousarray(blob)
        nulls = [x is None for x in data]
        col.length = len(raw)
        col.offsets = offs.ctypes.data
        col.offsets64 = 1
        col.values = blob.ctypes.data if blob.size else None
        keep += [offs, blob]
        nullable = any(nulls)
        if nullable:
            bm = _pack_bits([not x for x in nulls])
            keep.append(bm)
            col.validity = bm.ctypes.data
        return _Type(STRING if is_str else BINARY), nullable, col, None
    arr = np.ma.asarray(data) if np.ma.isMaskedArray(data) else np.asarray(data)
    mask = np.ma.getmaskarray(arr) if np.ma.isMaskedArray(arr) else None
    values = np.ascontiguousarray(np.ma.getdata(arr))
    if values.dtype == bool:
        packed = _pack_bits(values)
        keep.append(packed)
        col.values = packed.ctypes.data
        t = _Type(BOOL)
    elif values.dtype in _FROM_DTYPE:
        keep.append(values)
        col.values = values.ctypes.data
        t = _Type(_FROM_DTYPE[values.dtype])
    elif values.dtype.kind == "M":   # datetime64 -> TIMESTAMP
        unit = np.datetime_data(values.dtype)[0]
        units = {"ms": 0, "us": 1, "ns": 2}
        if unit not in units:
            raise TypeError(f"{name}: datetime64[{unit}] is not supported (ms, us, ns)")
        values = values.view(np.int64)
        keep.append(values)
        col.values = values.ctypes.data
        t = _Type(TIMESTAMP, 0, 0, 0, units[unit], 0)
    else:
        raise TypeError(f"{name}: dtype {values.dtype} is not supported")
    col.length = len(values)
    nullable = mask is not None and bool(mask.any())
    if nullable:
        bm = _pack_bits(~mask)
        keep.append(bm)
        col.validity = bm.ctypes.data
    return t, nullable, col, None


def write_parquet(path, columns, codec="zstd", row_group_bytes=128 << 20, page_bytes=1 << 20,
                  dictionary_bytes=1 << 20, data_page_version=1, metadata=None):
    """Writes a Parquet file from {name: column}.  A column is a numpy array (int/uint 8..64, float32/64,
    bool, datetime64[ms|us|ns]; a numpy masked array gives nulls), a list of str/bytes (None = null)
    or a ListColumn(offsets, values) for list<primitive>.  The file appears atomically at the end."""
    keep = []
    prepared = [(n,) + _prepare(n, d, keep) for n, d in columns.items()]
    if not prepared:
        raise ValueError("write_parquet: no columns")
    s = _vp()
    check(_api.llmd_schema_new(ctypes.byref(s)))
    try:
        for name, t, nullable, _col, elem in prepared:
            fid = ctypes.c_int()
            check(_api.llmd_schema_add(s, 0, to_bytes(name), ctypes.byref(t), int(nullable), ctypes.byref(fid)))
            if elem is not None:
                check(_api.llmd_schema_add(s, fid.value, b"element", ctypes.byref(elem), 0, None))
        cv = ctypes.c_int()
        check(_api.llmd_parquet_codec_parse(to_bytes(codec), ctypes.byref(cv)))
        o = _WriteOptions(1, cv.value, 0, row_group_bytes, page_bytes, dictionary_bytes, data_page_version, 1)
        w = _vp()
        check(_api.llmd_parquet_writer_open(ctypes.byref(w), to_bytes(str(path)), s, ctypes.byref(o)))
        try:
            for k, v in (metadata or {}).items():
                check(_api.llmd_parquet_writer_set_metadata(w, to_bytes(k), to_bytes(v)))
            arr = (_Column * len(prepared))(*[p[3] for p in prepared])
            check(_api.llmd_parquet_writer_write(w, arr, len(prepared)))
            check(_api.llmd_parquet_writer_finish(w))
        finally:
            _api.llmd_parquet_writer_free(w)
    finally:
        _api.llmd_schema_free(s)


# The C functions this module calls (declared once; bound on first use).
_api = Api({
    "llmd_parquet_batch_field": (ctypes.c_int, _vp, ctypes.c_size_t),
    "llmd_parquet_reader_open": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_char_p, _vp),
    "llmd_parquet_reader_free": (None, _vp),
    "llmd_parquet_reader_schema": (_vp, _vp),
    "llmd_parquet_reader_num_rows": (ctypes.c_int64, _vp),
    "llmd_parquet_reader_num_row_groups": (ctypes.c_int, _vp),
    "llmd_parquet_reader_select": (ctypes.c_int, _vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t),
    "llmd_parquet_reader_read_row_group": (ctypes.c_int, _vp, ctypes.c_int, ctypes.POINTER(_vp)),
    "llmd_parquet_reader_metadata_count": (ctypes.c_size_t, _vp),
    "llmd_parquet_reader_metadata_at": (ctypes.c_int, _vp, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p)),
    "llmd_parquet_batch_rows": (ctypes.c_int64, _vp),
    "llmd_parquet_batch_column": (ctypes.POINTER(_Column), _vp, ctypes.c_size_t),
    "llmd_parquet_batch_free": (None, _vp),
    "llmd_schema_new": (ctypes.c_int, ctypes.POINTER(_vp)),
    "llmd_schema_free": (None, _vp),
    "llmd_schema_add": (ctypes.c_int, _vp, ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(_Type), ctypes.c_int, ctypes.POINTER(ctypes.c_int)),
    "llmd_schema_child_count": (ctypes.c_int, _vp, ctypes.c_int),
    "llmd_schema_child": (ctypes.c_int, _vp, ctypes.c_int, ctypes.c_int),
    "llmd_schema_name": (ctypes.c_char_p, _vp, ctypes.c_int),
    "llmd_schema_type": (_Type, _vp, ctypes.c_int),
    "llmd_schema_nullable": (ctypes.c_int, _vp, ctypes.c_int),
    "llmd_type_name": (ctypes.c_char_p, ctypes.c_int),
    "llmd_parquet_codec_parse": (ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)),
    "llmd_parquet_writer_open": (ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_char_p, _vp, ctypes.POINTER(_WriteOptions)),
    "llmd_parquet_writer_set_metadata": (ctypes.c_int, _vp, ctypes.c_char_p, ctypes.c_char_p),
    "llmd_parquet_writer_write": (ctypes.c_int, _vp, ctypes.POINTER(_Column), ctypes.c_size_t),
    "llmd_parquet_writer_finish": (ctypes.c_int, _vp),
    "llmd_parquet_writer_free": (None, _vp),
})
