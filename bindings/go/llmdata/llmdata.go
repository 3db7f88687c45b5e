// Package llmdata is the Go binding of libllmdata: text cleaning and PII redaction, exact and
// near-duplicate detection (MinHash + LSH), BPE tokenization byte-identical to Hugging Face
// tokenizers, and the end-to-end pipeline — in-process, through cgo.
//
// Build against an installed library (pkg-config finds llmdata.pc):
//
//	go test ./...
//
// or against a build tree (meson writes build/meson-uninstalled/llmdata-uninstalled.pc, which
// pkg-config prefers when its directory is on PKG_CONFIG_PATH):
//
//	PKG_CONFIG_PATH=$PWD/build/meson-uninstalled LD_LIBRARY_PATH=$PWD/build/lib go test ./...
//
// Every handle has Close (a finalizer frees a forgotten one, as a safety net only). Errors are
// *Error values carrying the library's status name and message; errors.Is(err, ErrParse) and the
// other sentinels match by status.
//
// Concurrency: Tokenizer, Redactor and MinHasher wrap immutable library objects and may be used by
// any number of goroutines at once. ExactSet, LshIndex and Pipeline wrap mutable objects; this
// binding serialises their calls with a mutex, so they too are safe to share (calls then take
// turns). Close waits for calls in flight and makes later calls fail with ErrClosed, never crash.
package llmdata

/*
#cgo pkg-config: llmdata
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Version is the library's version string ("0.2.0").
func Version() string { return C.GoString(C.llmd_version()) }

// Error is a failed library call: the status (LLMD_ERR_PARSE, ...) and the library's message,
// which names the file, line or byte offset and field where that applies.
type Error struct {
	Status     int
	StatusName string
	Message    string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "llmdata: " + e.StatusName
	}
	return fmt.Sprintf("llmdata: %s: %s", e.StatusName, e.Message)
}

// Is matches an *Error with the same status, so errors.Is(err, llmdata.ErrNotFound) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

func sentinel(st C.llmd_status) *Error {
	return &Error{Status: int(st), StatusName: C.GoString(C.llmd_status_str(st))}
}

// Sentinels for errors.Is, one per llmd_status.
var (
	ErrInvalidArg  = sentinel(C.LLMD_ERR_INVALID_ARG)
	ErrNoMem       = sentinel(C.LLMD_ERR_NOMEM)
	ErrIO          = sentinel(C.LLMD_ERR_IO)
	ErrParse       = sentinel(C.LLMD_ERR_PARSE)
	ErrUTF8        = sentinel(C.LLMD_ERR_UTF8)
	ErrUnsupported = sentinel(C.LLMD_ERR_UNSUPPORTED)
	ErrNotFound    = sentinel(C.LLMD_ERR_NOT_FOUND)
	ErrRange       = sentinel(C.LLMD_ERR_RANGE)
	ErrCorrupt     = sentinel(C.LLMD_ERR_CORRUPT)
	ErrState       = sentinel(C.LLMD_ERR_STATE)
	ErrConflict    = sentinel(C.LLMD_ERR_CONFLICT)
	ErrSchema      = sentinel(C.LLMD_ERR_SCHEMA)
	ErrVersion     = sentinel(C.LLMD_ERR_VERSION)
	ErrTruncated   = sentinel(C.LLMD_ERR_TRUNCATED)
	ErrInternal    = sentinel(C.LLMD_ERR_INTERNAL)
	// ErrClosed is returned by calls on a handle after Close (status LLMD_ERR_STATE).
	ErrClosed = &Error{Status: int(C.LLMD_ERR_STATE), StatusName: "LLMD_ERR_STATE", Message: "handle is closed"}
)

// errOf turns a captured C error into a Go error (nil for LLMD_OK).
func errOf(e *C.llmdgo_err) error {
	if e.status == C.LLMD_OK {
		return nil
	}
	st := C.llmd_status(e.status)
	return &Error{Status: int(e.status), StatusName: C.GoString(C.llmd_status_str(st)),
		Message: C.GoString(&e.msg[0])}
}

func argError(format string, args ...interface{}) error {
	return &Error{Status: int(C.LLMD_ERR_INVALID_ARG), StatusName: "LLMD_ERR_INVALID_ARG",
		Message: fmt.Sprintf(format, args...)}
}

// handle guards a C object's lifetime: calls hold the read lock (mutable objects take the write
// lock through exclusive), Close takes the write lock, so a handle is never freed while a call
// runs on it.
type handle struct {
	mu      sync.RWMutex
	ptr     unsafe.Pointer
	free    func(unsafe.Pointer)
	shared  bool // immutable C object: calls may run at once
	pins    int  // other handles using this one from C (a Packer writing into a ShardWriter)
	closing bool // Close was called while pinned: freed when the last pin goes
}

func (h *handle) enter() (unsafe.Pointer, error) {
	if h.shared {
		h.mu.RLock()
	} else {
		h.mu.Lock()
	}
	if h.ptr == nil || h.closing {
		h.leave()
		return nil, ErrClosed
	}
	return h.ptr, nil
}

func (h *handle) leave() {
	if h.shared {
		h.mu.RUnlock()
	} else {
		h.mu.Unlock()
	}
}

// pin keeps the C object alive for another handle that uses it from C.
func (h *handle) pin() (unsafe.Pointer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr == nil || h.closing {
		return nil, ErrClosed
	}
	h.pins++
	return h.ptr, nil
}

func (h *handle) unpin() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pins--
	if h.pins == 0 && h.closing && h.ptr != nil {
		h.free(h.ptr)
		h.ptr = nil
	}
}

func (h *handle) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr == nil {
		return
	}
	if h.pins > 0 {
		h.closing = true
		return
	}
	h.free(h.ptr)
	h.ptr = nil
}

// bytesPtr points C at a Go byte slice's data for the duration of one call (no copy). The data
// holds no Go pointers, as cgo's rules require.
func bytesPtr(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// packTexts lays texts back to back with n+1 offsets, for the batch shims.
func packTexts(texts []string) ([]byte, []C.size_t) {
	total := 0
	for _, t := range texts {
		total += len(t)
	}
	buf := make([]byte, 0, total+1)
	offs := make([]C.size_t, len(texts)+1)
	for i, t := range texts {
		buf = append(buf, t...)
		offs[i+1] = C.size_t(len(buf))
	}
	buf = append(buf, 0) // never empty: &buf[0] is always valid
	return buf, offs
}

func cBytes(p *C.char, n C.size_t) []byte {
	if n == 0 {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}
