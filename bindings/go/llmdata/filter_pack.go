package llmdata

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// FilterOptions selects datatrove-compatible quality filters (see include/llmdata/filter.h):
// Filters is the ordered comma list ("c4,badwords,gopher" when empty); Languages and
// LanguageThreshold drive the language rule, which predicts with the bundled fastText model unless
// LanguageModel names another. Zero values keep the library's defaults.
type FilterOptions struct {
	Filters           string
	Languages         string
	LanguageThreshold float64
	LanguageModel     string
	MinBytes          uint64
}

// FilterResult is the outcome for one document.
type FilterResult struct {
	Keep          bool
	Reason        string // rule that dropped it ("" when kept)
	Text          string // the text as the filters left it (C4 removes lines)
	Language      string // when the language rule ran
	LanguageScore float64
}

// Filter applies quality filters. Immutable: safe for concurrent use.
type Filter struct {
	h    handle
	keep []*C.char
}

// NewFilter builds a filter.
func NewFilter(opts *FilterOptions) (*Filter, error) {
	var o C.llmd_filter_options
	C.llmd_filter_options_init(&o)
	f := &Filter{}
	cstr := func(s string) *C.char {
		p := C.CString(s)
		f.keep = append(f.keep, p)
		return p
	}
	if opts != nil {
		if opts.Filters != "" {
			o.filters = cstr(opts.Filters)
		}
		if opts.Languages != "" {
			o.languages = cstr(opts.Languages)
		}
		if opts.LanguageThreshold != 0 {
			o.language_threshold = C.double(opts.LanguageThreshold)
		}
		if opts.LanguageModel != "" {
			o.language_model = cstr(opts.LanguageModel)
		}
		if opts.MinBytes != 0 {
			o.min_bytes = C.size_t(opts.MinBytes)
		}
	}
	var p *C.llmd_filter
	var e C.llmdgo_err
	C.go_llmd_filter_new(&p, &o, &e)
	if err := errOf(&e); err != nil {
		f.freeStrings()
		return nil, err
	}
	f.h = handle{ptr: unsafe.Pointer(p), shared: true, free: func(q unsafe.Pointer) {
		C.llmd_filter_free((*C.llmd_filter)(q))
		f.freeStrings()
	}}
	runtime.SetFinalizer(f, (*Filter).Close)
	return f, nil
}

func (f *Filter) freeStrings() {
	for _, p := range f.keep {
		C.free(unsafe.Pointer(p))
	}
	f.keep = nil
}

// Close frees the filter. Idempotent.
func (f *Filter) Close() error { f.h.close(); return nil }

// Apply filters one document.
func (f *Filter) Apply(text string) (FilterResult, error) {
	p, err := f.h.enter()
	if err != nil {
		return FilterResult{}, err
	}
	defer f.h.leave()
	b := []byte(text)
	var r C.llmd_filter_result
	var e C.llmdgo_err
	C.go_llmd_filter_apply((*C.llmd_filter)(p), bytesPtr(b), C.size_t(len(b)), &r, nil, &e)
	if err := errOf(&e); err != nil {
		return FilterResult{}, err
	}
	res := FilterResult{Keep: r.keep != 0, Text: text, Language: C.GoString(&r.language[0]),
		LanguageScore: float64(r.language_score)}
	if r.keep == 0 {
		res.Reason = C.GoString(C.llmd_filter_rule_name(r.reason))
		res.Text = ""
	}
	if r.text != nil {
		res.Text = string(cBytes(r.text, r.len))
		C.llmd_free(unsafe.Pointer(r.text))
	}
	return res, nil
}

// ShardFormat selects the training-shard layout.
type ShardFormat int

const (
	MMIDX ShardFormat = C.LLMD_SHARD_MMIDX // Megatron-LM .bin + .idx
	NPY   ShardFormat = C.LLMD_SHARD_NPY   // numpy [windows, seq_len]
)

// ShardOptions: SeqLen is required; Overwrite replaces an earlier shard at the prefix (else an
// existing one is ErrConflict); UniqueNames names files PREFIX-<run id>.*.
type ShardOptions struct {
	Format      ShardFormat
	SeqLen      uint32
	VocabSize   uint64
	Overwrite   bool
	UniqueNames bool
	RunID       string
}

// ShardFile is one published file: name, size, XXH3-64.
type ShardFile struct {
	Name  string
	Bytes uint64
	XXH3  uint64
}

// ShardWriter writes packed windows as training shards, published as one unit at Finish. Calls
// are serialised by the binding.
type ShardWriter struct{ h handle }

// OpenShardWriter starts writing PREFIX.* (nothing appears until Finish).
func OpenShardWriter(prefix string, opts ShardOptions) (*ShardWriter, error) {
	var o C.llmd_shard_options
	o.version = C.LLMD_SHARD_OPTIONS_VERSION
	o.format = C.llmd_shard_format(opts.Format)
	o.seq_len = C.uint32_t(opts.SeqLen)
	o.vocab_size = C.uint64_t(opts.VocabSize)
	o.overwrite = b2i(opts.Overwrite)
	o.unique_names = b2i(opts.UniqueNames)
	cprefix := C.CString(prefix)
	defer C.free(unsafe.Pointer(cprefix))
	var freeRunID func()
	o.run_id, freeRunID = optionalCString(opts.RunID)
	defer freeRunID()
	var w *C.llmd_shard_writer
	var e C.llmdgo_err
	if C.go_llmd_shard_writer_open(&w, cprefix, &o, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	sw := &ShardWriter{h: handle{ptr: unsafe.Pointer(w),
		free: func(p unsafe.Pointer) { C.llmd_shard_writer_free((*C.llmd_shard_writer)(p)) }}}
	runtime.SetFinalizer(sw, (*ShardWriter).Close)
	return sw, nil
}

// Close frees the writer; an unfinished shard is removed (nothing published). Idempotent.
func (w *ShardWriter) Close() error { w.h.close(); return nil }

// Finish publishes the shard files and the manifest (extraJSON: an object merged into it, or "").
func (w *ShardWriter) Finish(extraJSON string) error {
	p, err := w.h.enter()
	if err != nil {
		return err
	}
	defer w.h.leave()
	extra, freeExtra := optionalCString(extraJSON)
	defer freeExtra()
	var e C.llmdgo_err
	C.go_llmd_shard_writer_finish((*C.llmd_shard_writer)(p), extra, &e)
	return errOf(&e)
}

// Files lists the published files (after Finish), the manifest last.
func (w *ShardWriter) Files() ([]ShardFile, error) {
	p, err := w.h.enter()
	if err != nil {
		return nil, err
	}
	defer w.h.leave()
	n := int(C.llmd_shard_writer_file_count((*C.llmd_shard_writer)(p)))
	out := make([]ShardFile, 0, n)
	for i := 0; i < n; i++ {
		var name *C.char
		var nb, x C.uint64_t
		var e C.llmdgo_err
		if C.go_llmd_shard_writer_file((*C.llmd_shard_writer)(p), C.size_t(i), &name, &nb, &x, &e); e.status != 0 {
			return nil, errOf(&e)
		}
		out = append(out, ShardFile{C.GoString(name), uint64(nb), uint64(x)})
	}
	return out, nil
}

// Windows is the number of windows written so far.
func (w *ShardWriter) Windows() uint64 {
	p, err := w.h.enter()
	if err != nil {
		return 0
	}
	defer w.h.leave()
	return uint64(C.llmd_shard_writer_windows((*C.llmd_shard_writer)(p)))
}

// PackOptions: SeqLen (default 2048), BestFit (else greedy), BOS/EOS/Pad ids (-1 = none).
type PackOptions struct {
	SeqLen        uint32
	BestFit       bool
	BOS, EOS, Pad int64
	BufferWindows uint32
	VocabSize     uint64
}

// DefaultPackOptions: greedy, seq_len 2048, no BOS/EOS/pad.
func DefaultPackOptions() PackOptions { return PackOptions{SeqLen: 2048, BOS: -1, EOS: -1, Pad: -1} }

// Packer packs documents' ids into fixed-length windows written into a ShardWriter or a
// ParquetShardWriter (which it keeps alive until the packer is closed). Calls are serialised by
// the binding; while a packer feeds a writer, call the writer's Finish only after the packer's
// Finish.
type Packer struct {
	h    handle
	sink *handle
}

func packOptions(opts PackOptions) C.llmd_pack_options {
	var o C.llmd_pack_options
	C.llmd_pack_options_init(&o)
	if opts.SeqLen != 0 {
		o.seq_len = C.uint32_t(opts.SeqLen)
	}
	if opts.BestFit {
		o.strategy = C.LLMD_PACK_BEST_FIT
	}
	o.bos_id, o.eos_id, o.pad_id = C.int64_t(opts.BOS), C.int64_t(opts.EOS), C.int64_t(opts.Pad)
	if opts.BufferWindows != 0 {
		o.buffer_windows = C.uint32_t(opts.BufferWindows)
	}
	o.vocab_size = C.uint64_t(opts.VocabSize)
	return o
}

// newPackerInto makes a packer whose windows go to the C writer behind sink (through open). The
// writer's handle stays pinned while the packer lives: closing the writer first must not free
// what the packer writes into.
func newPackerInto(opts PackOptions, sink *handle,
	open func(*C.llmd_pack_options, unsafe.Pointer, **C.llmd_packer, *C.llmdgo_err)) (*Packer, error) {
	o := packOptions(opts)
	wp, err := sink.pin()
	if err != nil {
		return nil, err
	}
	var p *C.llmd_packer
	var e C.llmdgo_err
	if open(&o, wp, &p, &e); e.status != 0 {
		sink.unpin()
		return nil, errOf(&e)
	}
	pk := &Packer{sink: sink}
	pk.h = handle{ptr: unsafe.Pointer(p), free: func(q unsafe.Pointer) {
		C.llmd_packer_free((*C.llmd_packer)(q))
		sink.unpin()
	}}
	runtime.SetFinalizer(pk, (*Packer).Close)
	return pk, nil
}

// NewPacker packs into sink (Megatron or npy shards).
func NewPacker(opts PackOptions, sink *ShardWriter) (*Packer, error) {
	return newPackerInto(opts, &sink.h, func(o *C.llmd_pack_options, w unsafe.Pointer, p **C.llmd_packer, e *C.llmdgo_err) {
		C.go_llmd_packer_new_to_shards(p, o, (*C.llmd_shard_writer)(w), e)
	})
}

// NewParquetPacker packs into sink (Parquet shards, one row per window).
func NewParquetPacker(opts PackOptions, sink *ParquetShardWriter) (*Packer, error) {
	return newPackerInto(opts, &sink.h, func(o *C.llmd_pack_options, w unsafe.Pointer, p **C.llmd_packer, e *C.llmdgo_err) {
		C.go_llmd_packer_new_to_parquet(p, o, (*C.llmd_parquet_shard_writer)(w), e)
	})
}

// Close frees the packer (and releases its writer). Idempotent.
func (p *Packer) Close() error { p.h.close(); return nil }

// Add adds one document's ids.
func (p *Packer) Add(ids []uint32) error {
	h, err := p.h.enter()
	if err != nil {
		return err
	}
	defer p.h.leave()
	var ip *C.uint32_t
	if len(ids) > 0 {
		ip = (*C.uint32_t)(unsafe.Pointer(&ids[0]))
	}
	var e C.llmdgo_err
	C.go_llmd_packer_add((*C.llmd_packer)(h), ip, C.size_t(len(ids)), &e)
	return errOf(&e)
}

// Finish flushes the last windows into the writer (then call the writer's Finish).
func (p *Packer) Finish() error {
	h, err := p.h.enter()
	if err != nil {
		return err
	}
	defer p.h.leave()
	var e C.llmdgo_err
	C.go_llmd_packer_finish((*C.llmd_packer)(h), &e)
	return errOf(&e)
}
