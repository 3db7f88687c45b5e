package llmdata

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"unsafe"
)

// cStrings copies strings into C memory (one block of pointers); free with freeCStrings.
func cStrings(ss []string) (**C.char, func()) {
	if len(ss) == 0 {
		return nil, func() {}
	}
	arr := (*[1 << 28]*C.char)(C.malloc(C.size_t(len(ss)) * C.size_t(unsafe.Sizeof(uintptr(0)))))[:len(ss):len(ss)]
	for i, s := range ss {
		arr[i] = C.CString(s)
	}
	return &arr[0], func() {
		for _, p := range arr {
			C.free(unsafe.Pointer(p))
		}
		C.free(unsafe.Pointer(&arr[0]))
	}
}

// optionalCString copies s into C memory, or gives NULL for "" (the library's "use the default");
// call the returned function to free it.
func optionalCString(s string) (*C.char, func()) {
	if s == "" {
		return nil, func() {}
	}
	c := C.CString(s)
	return c, func() { C.free(unsafe.Pointer(c)) }
}

func takeCString(p *C.char, n C.size_t) string {
	defer C.llmd_free(unsafe.Pointer(p))
	return string(cBytes(p, n))
}

// ---- Delta Lake ----------------------------------------------------------------------------------

// DeltaTable is a Delta Lake table (a directory with `_delta_log/`). Calls are serialised.
type DeltaTable struct{ h handle }

// OpenDeltaTable opens the table at path (creating nothing).
func OpenDeltaTable(path string) (*DeltaTable, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var t *C.llmd_delta_table
	var e C.llmdgo_err
	if C.go_llmd_delta_table_open(&t, cp, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	d := &DeltaTable{h: handle{ptr: unsafe.Pointer(t),
		free: func(p unsafe.Pointer) { C.llmd_delta_table_free((*C.llmd_delta_table)(p)) }}}
	runtime.SetFinalizer(d, (*DeltaTable).Close)
	return d, nil
}

// Close frees the table handle. Idempotent.
func (d *DeltaTable) Close() error { d.h.close(); return nil }

// Create makes version 0 with the given Spark StructType schema JSON.
func (d *DeltaTable) Create(schemaJSON string) error {
	p, err := d.h.enter()
	if err != nil {
		return err
	}
	defer d.h.leave()
	cs := C.CString(schemaJSON)
	defer C.free(unsafe.Pointer(cs))
	var e C.llmdgo_err
	C.go_llmd_delta_create((*C.llmd_delta_table)(p), cs, &e)
	return errOf(&e)
}

// Append copies Parquet files into the table and commits them as one version. With appID != ""
// the commit records (appID, appVersion) and a rerun of the same appVersion commits nothing
// (version -1): idempotent pipeline writes.
func (d *DeltaTable) Append(files []string, appID string, appVersion int64) (int64, error) {
	p, err := d.h.enter()
	if err != nil {
		return -1, err
	}
	defer d.h.leave()
	cf, free := cStrings(files)
	defer free()
	app, freeApp := optionalCString(appID)
	defer freeApp()
	var v C.int64_t
	var e C.llmdgo_err
	C.go_llmd_delta_append((*C.llmd_delta_table)(p), cf, C.size_t(len(files)), app, C.int64_t(appVersion), &v, &e)
	return int64(v), errOf(&e)
}

// DeltaWriteOptions: the Parquet files committed as one version by WriteFiles. With AppID set the
// commit records (AppID, AppVersion) and a rerun with AppVersion <= the table's commits nothing.
// Operation/OperationParametersJSON fill commitInfo ("" = "WRITE" / {}); Create makes the table
// (schema of Files[0]) when it has no log yet.
type DeltaWriteOptions struct {
	Files                   []string
	AppID                   string
	AppVersion              int64
	Operation               string
	OperationParametersJSON string
	Create                  bool
}

// WriteFiles copies opts.Files into the table and commits them as one version (add actions with
// stats from the footers, schema enforced). version is the committed version, or -1 when the
// table already held opts.AppVersion for opts.AppID (nothing written); tableVersion is the
// table's version after the call.
func (d *DeltaTable) WriteFiles(opts DeltaWriteOptions) (version, tableVersion int64, err error) {
	p, err := d.h.enter()
	if err != nil {
		return -1, -1, err
	}
	defer d.h.leave()
	var o C.llmd_delta_write_options
	o.version = C.LLMD_DELTA_WRITE_OPTIONS_VERSION
	cf, free := cStrings(opts.Files)
	defer free()
	o.files, o.n_files = cf, C.size_t(len(opts.Files))
	var freeApp, freeOp, freeParams func()
	o.app_id, freeApp = optionalCString(opts.AppID)
	defer freeApp()
	o.app_version = C.int64_t(opts.AppVersion)
	o.operation, freeOp = optionalCString(opts.Operation)
	defer freeOp()
	o.operation_parameters_json, freeParams = optionalCString(opts.OperationParametersJSON)
	defer freeParams()
	o.create = C.bool(opts.Create)
	var v, tv C.int64_t
	var e C.llmdgo_err
	C.go_llmd_delta_write_files((*C.llmd_delta_table)(p), &o, &v, &tv, &e)
	if err := errOf(&e); err != nil {
		return -1, -1, err
	}
	return int64(v), int64(tv), nil
}

// CheckpointKind selects the checkpoint format written by Checkpoint.
type CheckpointKind int

const (
	CheckpointAuto    CheckpointKind = C.LLMD_DELTA_CHECKPOINT_AUTO    // the table's policy
	CheckpointClassic CheckpointKind = C.LLMD_DELTA_CHECKPOINT_CLASSIC // v.checkpoint.parquet (or parts)
	CheckpointV2      CheckpointKind = C.LLMD_DELTA_CHECKPOINT_V2      // V2 with sidecars (v2Checkpoint tables)
)

// DeltaCheckpointOptions: Kind; PartSize (file actions per part, Spark's checkpoint.partSize; 0 =
// one part) or Parts (exactly this many); V2Parquet writes a V2 top-level file as Parquet.
type DeltaCheckpointOptions struct {
	Kind      CheckpointKind
	PartSize  uint64
	Parts     uint32
	V2Parquet bool
}

// Checkpoint writes a checkpoint of the latest version as opts asks and points _last_checkpoint
// at it; it returns the checkpointed version.
func (d *DeltaTable) Checkpoint(opts DeltaCheckpointOptions) (int64, error) {
	p, err := d.h.enter()
	if err != nil {
		return -1, err
	}
	defer d.h.leave()
	var o C.llmd_delta_checkpoint_options
	o.version = C.LLMD_DELTA_CHECKPOINT_OPTIONS_VERSION
	o.kind = C.int(opts.Kind)
	o.part_size = C.uint64_t(opts.PartSize)
	o.parts = C.uint32_t(opts.Parts)
	o.v2_parquet = C.bool(opts.V2Parquet)
	var v C.int64_t
	var e C.llmdgo_err
	C.go_llmd_delta_checkpoint_with((*C.llmd_delta_table)(p), &o, &v, &e)
	return int64(v), errOf(&e)
}

// SnapshotJSON is `llmdata delta files` as a JSON text: version, protocol, metaData, files.
// version < 0 = latest.
func (d *DeltaTable) SnapshotJSON(version int64) (string, error) {
	p, err := d.h.enter()
	if err != nil {
		return "", err
	}
	defer d.h.leave()
	var s *C.llmd_delta_snapshot
	var e C.llmdgo_err
	if version < 0 {
		C.go_llmd_delta_snapshot_latest(&s, (*C.llmd_delta_table)(p), &e)
	} else {
		C.go_llmd_delta_snapshot_at_version(&s, (*C.llmd_delta_table)(p), C.int64_t(version), &e)
	}
	if e.status != 0 {
		return "", errOf(&e)
	}
	defer C.llmd_delta_snapshot_free(s)
	var out *C.char
	var n C.size_t
	if C.go_llmd_delta_snapshot_to_json(s, &out, &n, &e); e.status != 0 {
		return "", errOf(&e)
	}
	return takeCString(out, n), nil
}

// ScanJSONL writes the rows of a version (< 0 = latest) as JSON lines to path; returns the rows.
func (d *DeltaTable) ScanJSONL(version int64, path string) (uint64, error) {
	p, err := d.h.enter()
	if err != nil {
		return 0, err
	}
	defer d.h.leave()
	var s *C.llmd_delta_snapshot
	var e C.llmdgo_err
	if version < 0 {
		C.go_llmd_delta_snapshot_latest(&s, (*C.llmd_delta_table)(p), &e)
	} else {
		C.go_llmd_delta_snapshot_at_version(&s, (*C.llmd_delta_table)(p), C.int64_t(version), &e)
	}
	if e.status != 0 {
		return 0, errOf(&e)
	}
	defer C.llmd_delta_snapshot_free(s)
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var rows C.uint64_t
	C.go_llmd_delta_scan_jsonl(s, cp, &rows, &e)
	return uint64(rows), errOf(&e)
}

// ParquetSchemaJSON is the Spark StructType JSON of a Parquet file's schema (to create a table like it).
func ParquetSchemaJSON(path string) (string, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var out *C.char
	var e C.llmdgo_err
	if C.go_llmd_delta_schema_from_parquet(cp, &out, &e); e.status != 0 {
		return "", errOf(&e)
	}
	defer C.llmd_free(unsafe.Pointer(out))
	return C.GoString(out), nil
}

// ---- feature store ------------------------------------------------------------------------------

// FeatureRepo is a repo of Feast-style feature view definitions (DIR/*.json). Immutable: safe
// for concurrent use.
type FeatureRepo struct{ h handle }

// OpenFeatureRepo loads and validates the definitions in dir.
func OpenFeatureRepo(dir string) (*FeatureRepo, error) {
	cp := C.CString(dir)
	defer C.free(unsafe.Pointer(cp))
	var r *C.llmd_feature_repo
	var e C.llmdgo_err
	if C.go_llmd_feature_repo_open(&r, cp, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	fr := &FeatureRepo{h: handle{ptr: unsafe.Pointer(r), shared: true,
		free: func(p unsafe.Pointer) { C.llmd_feature_repo_free((*C.llmd_feature_repo)(p)) }}}
	runtime.SetFinalizer(fr, (*FeatureRepo).Close)
	return fr, nil
}

// Close frees the repo. Idempotent.
func (r *FeatureRepo) Close() error { r.h.close(); return nil }

// Apply validates every source and writes DIR/registry.json.
func (r *FeatureRepo) Apply() error {
	p, err := r.h.enter()
	if err != nil {
		return err
	}
	defer r.h.leave()
	var e C.llmdgo_err
	C.go_llmd_feature_repo_apply((*C.llmd_feature_repo)(p), &e)
	return errOf(&e)
}

// ParseTimestamp parses an ISO 8601 timestamp to epoch microseconds (no zone = UTC).
func ParseTimestamp(s string) (int64, error) {
	b := []byte(s)
	var us C.int64_t
	var e C.llmdgo_err
	C.go_llmd_parse_timestamp(bytesPtr(b), C.size_t(len(b)), &us, &e)
	return int64(us), errOf(&e)
}

// Materialize writes the latest row per key with start <= event time <= end (microseconds) into
// the view's online snapshot; returns the number of keys.
func (r *FeatureRepo) Materialize(view string, startUS, endUS int64) (uint64, error) {
	p, err := r.h.enter()
	if err != nil {
		return 0, err
	}
	defer r.h.leave()
	cv := C.CString(view)
	defer C.free(unsafe.Pointer(cv))
	var st C.llmd_materialize_stats
	var e C.llmdgo_err
	C.go_llmd_feature_materialize((*C.llmd_feature_repo)(p), cv, C.int64_t(startUS), C.int64_t(endUS), &st, &e)
	return uint64(st.keys), errOf(&e)
}

// EntityKeys is one join-key column: Strings or Ints (one of them), named as the join key.
type EntityKeys struct {
	Name    string
	Strings []string
	Ints    []int64
}

// FeatureValue is one value of a result: Valid false = null; the field matching the dtype is set.
type FeatureValue struct {
	Valid  bool
	Int    int64
	Float  float64
	String string
	Bool   bool
	Vector []float32
}

type keyCols struct {
	cols  []C.llmd_key_column
	frees []func()
}

func buildKeys(keys []EntityKeys, n int) (*keyCols, error) {
	kc := &keyCols{cols: make([]C.llmd_key_column, len(keys))}
	for i, k := range keys {
		name := C.CString(k.Name)
		kc.frees = append(kc.frees, func() { C.free(unsafe.Pointer(name)) })
		kc.cols[i].name = name
		if k.Strings != nil {
			if len(k.Strings) != n {
				kc.free()
				return nil, argError("key column %q has %d values, want %d", k.Name, len(k.Strings), n)
			}
			buf, offs := packTexts(k.Strings)
			cb := C.CBytes(buf)
			co := (*[1 << 28]C.int64_t)(C.malloc(C.size_t(8 * len(offs))))[:len(offs):len(offs)]
			for j, o := range offs {
				co[j] = C.int64_t(o)
			}
			kc.frees = append(kc.frees, func() { C.free(cb); C.free(unsafe.Pointer(&co[0])) })
			kc.cols[i].is_string = 1
			kc.cols[i].bytes = (*C.char)(cb)
			kc.cols[i].offsets = &co[0]
		} else {
			if len(k.Ints) != n {
				kc.free()
				return nil, argError("key column %q has %d values, want %d", k.Name, len(k.Ints), n)
			}
			ci := (*[1 << 28]C.int64_t)(C.malloc(C.size_t(8*n + 8)))[: n+1 : n+1]
			for j, v := range k.Ints {
				ci[j] = C.int64_t(v)
			}
			kc.frees = append(kc.frees, func() { C.free(unsafe.Pointer(&ci[0])) })
			kc.cols[i].ints = &ci[0]
		}
	}
	return kc, nil
}

func (k *keyCols) free() {
	for _, f := range k.frees {
		f()
	}
}

func (k *keyCols) ptr() *C.llmd_key_column {
	if len(k.cols) == 0 {
		return nil
	}
	return &k.cols[0]
}

// resultValues converts a C result to columns of FeatureValue (name -> values).
func resultValues(res *C.llmd_feature_result) (map[string][]FeatureValue, error) {
	rows := int(C.llmd_feature_result_rows(res))
	out := map[string][]FeatureValue{}
	for i := 0; i < int(C.llmd_feature_result_column_count(res)); i++ {
		var c C.llmd_feature_column
		if st := C.llmd_feature_result_column(res, C.size_t(i), &c); st != 0 {
			return nil, &Error{Status: int(st), StatusName: C.GoString(C.llmd_status_str(st))}
		}
		vals := make([]FeatureValue, rows)
		valid := unsafe.Slice((*uint8)(unsafe.Pointer(c.validity)), rows)
		for r := 0; r < rows; r++ {
			if valid[r] == 0 {
				continue
			}
			v := &vals[r]
			v.Valid = true
			switch c.dtype {
			case C.LLMD_FEATURE_INT64:
				v.Int = unsafe.Slice((*int64)(c.values), rows)[r]
			case C.LLMD_FEATURE_FLOAT32:
				v.Float = float64(unsafe.Slice((*float32)(c.values), rows)[r])
			case C.LLMD_FEATURE_FLOAT64:
				v.Float = unsafe.Slice((*float64)(c.values), rows)[r]
			case C.LLMD_FEATURE_BOOL:
				v.Bool = unsafe.Slice((*uint8)(c.values), rows)[r] != 0
			case C.LLMD_FEATURE_FLOAT32_VECTOR:
				vl := int(c.vector_length)
				v.Vector = append([]float32(nil), unsafe.Slice((*float32)(c.values), rows*vl)[r*vl:(r+1)*vl]...)
			default: // STRING, BYTES
				offs := unsafe.Slice((*int64)(unsafe.Pointer(c.offsets)), rows+1)
				v.String = C.GoStringN((*C.char)(unsafe.Add(c.values, offs[r])), C.int(offs[r+1]-offs[r]))
			}
		}
		out[C.GoString(c.name)] = vals
	}
	return out, nil
}

// GetHistoricalFeatures is Feast's point-in-time join: for each entity row (keys + event time in
// epoch microseconds), each requested "view:feature" as of that time.
func (r *FeatureRepo) GetHistoricalFeatures(features []string, keys []EntityKeys, eventUS []int64,
	fullNames bool) (map[string][]FeatureValue, error) {
	p, err := r.h.enter()
	if err != nil {
		return nil, err
	}
	defer r.h.leave()
	kc, err := buildKeys(keys, len(eventUS))
	if err != nil {
		return nil, err
	}
	defer kc.free()
	cf, free := cStrings(features)
	defer free()
	var o C.llmd_historical_options
	C.llmd_historical_options_init(&o)
	o.full_feature_names = b2i(fullNames)
	var ts *C.int64_t
	if len(eventUS) > 0 {
		ts = (*C.int64_t)(unsafe.Pointer(&eventUS[0]))
	}
	var res *C.llmd_feature_result
	var e C.llmdgo_err
	C.go_llmd_feature_historical((*C.llmd_feature_repo)(p), cf, C.size_t(len(features)), kc.ptr(),
		C.size_t(len(keys)), ts, C.size_t(len(eventUS)), &o, &res, &e)
	if err := errOf(&e); err != nil {
		return nil, err
	}
	defer C.llmd_feature_result_free(res)
	return resultValues(res)
}

// HistoricalOptions tunes GetHistoricalFeaturesWith.
type HistoricalOptions struct {
	FullFeatureNames bool   // columns named "view__feature"
	Threads          uint   // join threads (0: one per CPU; the default of GetHistoricalFeatures is 1)
	MemoryLimit      uint64 // bytes a view's source may take in memory (0: no limit); larger sources spill
	TempDir          string // where spill files go ("": $TMPDIR, else /tmp)
}

// HistoricalResult holds the joined columns, the Delta version each Delta-sourced view was read at
// (SourceVersions: view -> version) and the bytes spilled to temp files.
type HistoricalResult struct {
	Columns        map[string][]FeatureValue
	SourceVersions map[string]int64
	SpillBytes     uint64
}

// GetHistoricalFeaturesWith is GetHistoricalFeatures with options, reporting the Delta versions read.
func (r *FeatureRepo) GetHistoricalFeaturesWith(features []string, keys []EntityKeys, eventUS []int64,
	opts HistoricalOptions) (*HistoricalResult, error) {
	p, err := r.h.enter()
	if err != nil {
		return nil, err
	}
	defer r.h.leave()
	kc, err := buildKeys(keys, len(eventUS))
	if err != nil {
		return nil, err
	}
	defer kc.free()
	cf, free := cStrings(features)
	defer free()
	var o C.llmd_historical_options
	C.llmd_historical_options_init(&o)
	o.full_feature_names = b2i(opts.FullFeatureNames)
	o.threads = C.uint(opts.Threads)
	o.memory_limit = C.uint64_t(opts.MemoryLimit)
	if opts.TempDir != "" {
		td := C.CString(opts.TempDir)
		defer C.free(unsafe.Pointer(td))
		o.temp_dir = td
	}
	var ts *C.int64_t
	if len(eventUS) > 0 {
		ts = (*C.int64_t)(unsafe.Pointer(&eventUS[0]))
	}
	var res *C.llmd_feature_result
	var e C.llmdgo_err
	C.go_llmd_feature_historical((*C.llmd_feature_repo)(p), cf, C.size_t(len(features)), kc.ptr(),
		C.size_t(len(keys)), ts, C.size_t(len(eventUS)), &o, &res, &e)
	if err := errOf(&e); err != nil {
		return nil, err
	}
	defer C.llmd_feature_result_free(res)
	cols, err := resultValues(res)
	if err != nil {
		return nil, err
	}
	out := &HistoricalResult{Columns: cols, SourceVersions: map[string]int64{},
		SpillBytes: uint64(C.llmd_feature_result_spill_bytes(res))}
	for i, f := range features {
		if v := int64(C.llmd_feature_result_source_version(res, C.size_t(i))); v >= 0 {
			out.SourceVersions[strings.SplitN(f, ":", 2)[0]] = v
		}
	}
	return out, nil
}

// GetOnlineFeatures looks keys up in a view's materialized snapshot (features nil = all); nowUS
// (0 = no ttl check) marks rows older than the ttl. Statuses[i][j]: 0 present, 1 missing key,
// 2 outside ttl, 3 null.
func (r *FeatureRepo) GetOnlineFeatures(view string, keys []EntityKeys, n int, features []string,
	nowUS int64) (map[string][]FeatureValue, [][]uint8, error) {
	p, err := r.h.enter()
	if err != nil {
		return nil, nil, err
	}
	defer r.h.leave()
	cv := C.CString(view)
	defer C.free(unsafe.Pointer(cv))
	var snap *C.llmd_online_snapshot
	var e C.llmdgo_err
	if C.go_llmd_online_snapshot_open(&snap, (*C.llmd_feature_repo)(p), cv, &e); e.status != 0 {
		return nil, nil, errOf(&e)
	}
	defer C.llmd_online_snapshot_free(snap)
	kc, err := buildKeys(keys, n)
	if err != nil {
		return nil, nil, err
	}
	defer kc.free()
	cf, free := cStrings(features)
	defer free()
	var res *C.llmd_feature_result
	C.go_llmd_online_lookup(snap, kc.ptr(), C.size_t(len(keys)), C.size_t(n), cf, C.size_t(len(features)),
		C.int64_t(nowUS), &res, &e)
	if err := errOf(&e); err != nil {
		return nil, nil, err
	}
	defer C.llmd_feature_result_free(res)
	vals, err := resultValues(res)
	if err != nil {
		return nil, nil, err
	}
	ncol := int(C.llmd_feature_result_column_count(res))
	flat := unsafe.Slice((*uint8)(unsafe.Pointer(C.llmd_feature_result_status(res))), n*ncol)
	status := make([][]uint8, n)
	for i := range status {
		status[i] = append([]uint8(nil), flat[i*ncol:(i+1)*ncol]...)
	}
	return vals, status, nil
}
