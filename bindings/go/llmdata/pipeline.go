package llmdata

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Pipeline is the end-to-end job (read → filter → clean + redact → dedup → tokenize → pack →
// shards), configured by settings with the same names as `llmdata pipeline` and its JSON config.
// Calls are serialised by the binding.
type Pipeline struct{ h handle }

// NewPipeline creates a pipeline with default settings.
func NewPipeline() (*Pipeline, error) {
	var p *C.llmd_pipeline
	var e C.llmdgo_err
	if C.go_llmd_pipeline_new(&p, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	pl := &Pipeline{h: handle{ptr: unsafe.Pointer(p),
		free: func(p unsafe.Pointer) { C.llmd_pipeline_free((*C.llmd_pipeline)(p)) }}}
	runtime.SetFinalizer(pl, (*Pipeline).Close)
	return pl, nil
}

// Close frees the pipeline. Idempotent.
func (pl *Pipeline) Close() error { pl.h.close(); return nil }

func (pl *Pipeline) call(f func(p *C.llmd_pipeline, e *C.llmdgo_err)) error {
	p, err := pl.h.enter()
	if err != nil {
		return err
	}
	defer pl.h.leave()
	var e C.llmdgo_err
	f((*C.llmd_pipeline)(p), &e)
	return errOf(&e)
}

// Set sets one setting ("tokenizer", "seq_len", "out", ...).
func (pl *Pipeline) Set(key, value string) error {
	ck, cv := C.CString(key), C.CString(value)
	defer C.free(unsafe.Pointer(ck))
	defer C.free(unsafe.Pointer(cv))
	return pl.call(func(p *C.llmd_pipeline, e *C.llmdgo_err) { C.go_llmd_pipeline_set(p, ck, cv, e) })
}

// LoadConfig applies a JSON config file.
func (pl *Pipeline) LoadConfig(path string) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	return pl.call(func(p *C.llmd_pipeline, e *C.llmdgo_err) { C.go_llmd_pipeline_load_config(p, cp, e) })
}

// AddInput adds an input file (JSONL, .zst, .gz).
func (pl *Pipeline) AddInput(path string) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	return pl.call(func(p *C.llmd_pipeline, e *C.llmdgo_err) { C.go_llmd_pipeline_add_input(p, cp, e) })
}

// Run runs the pipeline and returns its report (JSON text and a readable rendering).
func (pl *Pipeline) Run() (reportJSON, reportText string, err error) {
	err = pl.call(func(p *C.llmd_pipeline, e *C.llmdgo_err) {
		var j, t *C.char
		if C.go_llmd_pipeline_run(p, &j, &t, e); e.status == 0 {
			reportJSON, reportText = C.GoString(j), C.GoString(t)
			C.llmd_free(unsafe.Pointer(j))
			C.llmd_free(unsafe.Pointer(t))
		}
	})
	return reportJSON, reportText, err
}
