package llmdata

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// ParquetColumn is one column read from a Parquet file: Valid[i] false = null; the slice matching
// the column's type is filled (Ints for integers, Floats for float/double, Strings for
// string/binary, Lists for list<integer>).
type ParquetColumn struct {
	Type    string // "int32", "int64", "double", "string", "list", ...
	Valid   []bool
	Ints    []int64
	Floats  []float64
	Strings []string
	Lists   [][]int64
}

func bitSet(bits *C.uint8_t, i int64) bool {
	if bits == nil {
		return true
	}
	b := unsafe.Slice((*uint8)(unsafe.Pointer(bits)), i/8+1)
	return b[i/8]&(1<<(i%8)) != 0
}

func offsetAt(c *C.llmd_column, i int64) int64 {
	if c.offsets64 != 0 {
		return unsafe.Slice((*int64)(c.offsets), i+1)[i]
	}
	return int64(unsafe.Slice((*int32)(c.offsets), i+1)[i])
}

func intAt(c *C.llmd_column, id C.llmd_type_id, i int64) (int64, bool) {
	switch id {
	case C.LLMD_TYPE_INT8:
		return int64(unsafe.Slice((*int8)(c.values), i+1)[i]), true
	case C.LLMD_TYPE_INT16:
		return int64(unsafe.Slice((*int16)(c.values), i+1)[i]), true
	case C.LLMD_TYPE_INT32, C.LLMD_TYPE_DATE:
		return int64(unsafe.Slice((*int32)(c.values), i+1)[i]), true
	case C.LLMD_TYPE_INT64, C.LLMD_TYPE_TIMESTAMP:
		return unsafe.Slice((*int64)(c.values), i+1)[i], true
	case C.LLMD_TYPE_UINT8:
		return int64(unsafe.Slice((*uint8)(c.values), i+1)[i]), true
	case C.LLMD_TYPE_UINT16:
		return int64(unsafe.Slice((*uint16)(c.values), i+1)[i]), true
	case C.LLMD_TYPE_UINT32:
		return int64(unsafe.Slice((*uint32)(c.values), i+1)[i]), true
	}
	return 0, false
}

// ReadParquetColumn reads the top-level column `name` of a Parquet file, one row group at a time.
// Supported: integers, float/double, string/binary, and lists of integers (token windows).
func ReadParquetColumn(path, name string) (*ParquetColumn, error) {
	cp, cn := C.CString(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	var r *C.llmd_parquet_reader
	var e C.llmdgo_err
	if C.go_parquet_open_column(&r, cp, cn, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	defer C.llmd_parquet_reader_free(r)
	schema := C.llmd_parquet_reader_schema(r)
	out := &ParquetColumn{}
	for g := 0; g < int(C.llmd_parquet_reader_num_row_groups(r)); g++ {
		var b *C.llmd_parquet_batch
		if C.go_llmd_parquet_reader_read_row_group(r, C.int(g), &b, &e); e.status != 0 {
			return nil, errOf(&e)
		}
		err := appendBatch(out, schema, b)
		C.llmd_parquet_batch_free(b)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func appendBatch(out *ParquetColumn, schema *C.llmd_schema, b *C.llmd_parquet_batch) error {
	c := C.llmd_parquet_batch_column(b, 0)
	field := C.llmd_parquet_batch_field(b, 0)
	t := C.llmd_schema_type(schema, field)
	out.Type = C.GoString(C.llmd_type_name(t.id))
	for i := int64(0); i < int64(c.length); i++ {
		row := i + int64(c.offset)
		valid := bitSet(c.validity, row)
		out.Valid = append(out.Valid, valid)
		switch t.id {
		case C.LLMD_TYPE_FLOAT:
			out.Floats = append(out.Floats, float64(unsafe.Slice((*float32)(c.values), row+1)[row]))
		case C.LLMD_TYPE_DOUBLE:
			out.Floats = append(out.Floats, unsafe.Slice((*float64)(c.values), row+1)[row])
		case C.LLMD_TYPE_STRING, C.LLMD_TYPE_BINARY:
			a, z := offsetAt(c, row), offsetAt(c, row+1)
			out.Strings = append(out.Strings, C.GoStringN((*C.char)(unsafe.Add(c.values, a)), C.int(z-a)))
		case C.LLMD_TYPE_LIST:
			child := c.children
			et := C.llmd_schema_type(schema, C.llmd_schema_child(schema, field, 0))
			a, z := offsetAt(c, row), offsetAt(c, row+1)
			l := make([]int64, 0, z-a)
			for k := a; k < z; k++ {
				v, ok := intAt(child, et.id, k+int64(child.offset))
				if !ok {
					return argError("column %s: list of %s is not supported here", out.Type,
						C.GoString(C.llmd_type_name(et.id)))
				}
				l = append(l, v)
			}
			out.Lists = append(out.Lists, l)
		default:
			v, ok := intAt(c, t.id, row)
			if !ok {
				return argError("column type %s is not supported by ReadParquetColumn", out.Type)
			}
			out.Ints = append(out.Ints, v)
		}
	}
	return nil
}

// WriteParquetWindows writes token windows as a Parquet file (one list<int32> column `name` per
// row, zstd), published atomically — the training-shard layout.
func WriteParquetWindows(path, name string, windows [][]int32) error {
	offsets := make([]int32, len(windows)+1)
	var values []int32
	for i, w := range windows {
		values = append(values, w...)
		offsets[i+1] = int32(len(values))
	}
	values = append(values, 0) // never empty
	cp, cn := C.CString(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	var e C.llmdgo_err
	C.go_parquet_write_lists(cp, cn, (*C.int32_t)(unsafe.Pointer(&values[0])), (*C.int32_t)(unsafe.Pointer(&offsets[0])),
		C.int64_t(len(windows)), &e)
	return errOf(&e)
}

// ---- Parquet training shards ---------------------------------------------------------------------

// ParquetCodec is a Parquet compression codec (Parquet's CompressionCodec numbers).
type ParquetCodec int

const (
	ParquetZSTD         ParquetCodec = C.LLMD_PARQUET_ZSTD
	ParquetSnappy       ParquetCodec = C.LLMD_PARQUET_SNAPPY
	ParquetGzip         ParquetCodec = C.LLMD_PARQUET_GZIP
	ParquetLZ4Raw       ParquetCodec = C.LLMD_PARQUET_LZ4_RAW
	ParquetUncompressed ParquetCodec = C.LLMD_PARQUET_UNCOMPRESSED
)

// ParquetShardOptions: SeqLen is required. Zero values of the others mean the library's defaults
// (zstd, its default level, 128 MiB row groups, 1 GiB files); SingleFile writes one data file
// whatever its size. Overwrite replaces an earlier shard at the prefix (else ErrConflict).
// Codec is used only when SetCodec is true (ParquetUncompressed is 0).
type ParquetShardOptions struct {
	SeqLen           uint32
	Codec            ParquetCodec
	SetCodec         bool
	CompressionLevel int
	RowGroupBytes    uint64
	FileBytes        uint64
	SingleFile       bool
	Overwrite        bool
	RunID            string
}

// ParquetShardFile is one published file: name (in the prefix's directory), size, XXH3-64 and
// rows (windows; 0 for the manifest).
type ParquetShardFile struct {
	Name  string
	Bytes uint64
	XXH3  uint64
	Rows  uint64
}

// ParquetShardWriter writes packed windows as Parquet training shards PREFIX-00000.parquet, ...
// plus PREFIX.manifest.json, all published as one unit at Finish. Calls are serialised.
type ParquetShardWriter struct{ h handle }

// OpenParquetShardWriter starts writing PREFIX-NNNNN.parquet (nothing appears until Finish).
func OpenParquetShardWriter(prefix string, opts ParquetShardOptions) (*ParquetShardWriter, error) {
	var o C.llmd_parquet_shard_options
	C.llmd_parquet_shard_options_init(&o)
	o.seq_len = C.uint32_t(opts.SeqLen)
	if opts.SetCodec {
		o.codec = C.int(opts.Codec)
	}
	o.compression_level = C.int(opts.CompressionLevel)
	if opts.RowGroupBytes != 0 {
		o.row_group_bytes = C.uint64_t(opts.RowGroupBytes)
	}
	if opts.FileBytes != 0 {
		o.file_bytes = C.uint64_t(opts.FileBytes)
	}
	if opts.SingleFile {
		o.file_bytes = 0
	}
	o.overwrite = b2i(opts.Overwrite)
	cprefix := C.CString(prefix)
	defer C.free(unsafe.Pointer(cprefix))
	var freeRunID func()
	o.run_id, freeRunID = optionalCString(opts.RunID)
	defer freeRunID()
	var w *C.llmd_parquet_shard_writer
	var e C.llmdgo_err
	if C.go_llmd_parquet_shard_writer_open(&w, cprefix, &o, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	pw := &ParquetShardWriter{h: handle{ptr: unsafe.Pointer(w),
		free: func(p unsafe.Pointer) { C.llmd_parquet_shard_writer_free((*C.llmd_parquet_shard_writer)(p)) }}}
	runtime.SetFinalizer(pw, (*ParquetShardWriter).Close)
	return pw, nil
}

// Close frees the writer; an unfinished shard's temporary files are removed. Idempotent.
func (w *ParquetShardWriter) Close() error { w.h.close(); return nil }

// Finish writes the last file and the manifest (extraJSON: an object merged into it, or "") and
// publishes everything.
func (w *ParquetShardWriter) Finish(extraJSON string) error {
	p, err := w.h.enter()
	if err != nil {
		return err
	}
	defer w.h.leave()
	extra, freeExtra := optionalCString(extraJSON)
	defer freeExtra()
	var e C.llmdgo_err
	C.go_llmd_parquet_shard_writer_finish((*C.llmd_parquet_shard_writer)(p), extra, &e)
	return errOf(&e)
}

// Files lists the published files after Finish: data files in order, then the manifest.
func (w *ParquetShardWriter) Files() ([]ParquetShardFile, error) {
	p, err := w.h.enter()
	if err != nil {
		return nil, err
	}
	defer w.h.leave()
	cw := (*C.llmd_parquet_shard_writer)(p)
	n := int(C.llmd_parquet_shard_writer_file_count(cw))
	out := make([]ParquetShardFile, 0, n)
	for i := 0; i < n; i++ {
		var name *C.char
		var nb, x, rows C.uint64_t
		var e C.llmdgo_err
		if C.go_llmd_parquet_shard_writer_file(cw, C.size_t(i), &name, &nb, &x, &rows, &e); e.status != 0 {
			return nil, errOf(&e)
		}
		out = append(out, ParquetShardFile{C.GoString(name), uint64(nb), uint64(x), uint64(rows)})
	}
	return out, nil
}

// Windows is the number of windows added so far (0 after Close).
func (w *ParquetShardWriter) Windows() uint64 {
	p, err := w.h.enter()
	if err != nil {
		return 0
	}
	defer w.h.leave()
	return uint64(C.llmd_parquet_shard_writer_windows((*C.llmd_parquet_shard_writer)(p)))
}

// RunID is the run id written into the files and the manifest ("" after Close).
func (w *ParquetShardWriter) RunID() string {
	p, err := w.h.enter()
	if err != nil {
		return ""
	}
	defer w.h.leave()
	return C.GoString(C.llmd_parquet_shard_writer_run_id((*C.llmd_parquet_shard_writer)(p)))
}
