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

// Normalization is the Unicode normalization CleanText applies.
type Normalization int

const (
	NFC             Normalization = C.LLMD_NORM_NFC  // canonical composition (default)
	NFKC            Normalization = C.LLMD_NORM_NFKC // compatibility composition
	NoNormalization Normalization = C.LLMD_NORM_NONE
)

// CleanOptions configures CleanText; DefaultCleanOptions gives the library's defaults (strip
// HTML, NFC, drop control characters, collapse whitespace, replace invalid UTF-8 with U+FFFD).
type CleanOptions struct {
	HTML           bool
	Normalization  Normalization
	DropControls   bool
	Whitespace     bool
	KeepParagraphs bool
	RejectBadUTF8  bool // fail with ErrUTF8 instead of replacing invalid sequences
}

// DefaultCleanOptions returns the library's default cleaning settings.
func DefaultCleanOptions() CleanOptions {
	return CleanOptions{HTML: true, Normalization: NFC, DropControls: true, Whitespace: true}
}

func b2i(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func (o *CleanOptions) c() C.llmd_clean_options {
	var co C.llmd_clean_options
	C.llmd_clean_options_init(&co)
	co.html = b2i(o.HTML)
	co.normalization = C.int(o.Normalization)
	co.drop_controls = b2i(o.DropControls)
	co.whitespace = b2i(o.Whitespace)
	co.keep_paragraphs = b2i(o.KeepParagraphs)
	if o.RejectBadUTF8 {
		co.invalid_utf8 = C.LLMD_INVALID_UTF8_ERROR
	}
	return co
}

// CleanText strips HTML, normalizes Unicode and whitespace (opts nil = defaults). Safe for
// concurrent use.
func CleanText(text string, opts *CleanOptions) (string, error) {
	o := DefaultCleanOptions()
	if opts != nil {
		o = *opts
	}
	co := o.c()
	b := []byte(text)
	var out *C.char
	var n C.size_t
	var e C.llmdgo_err
	C.go_llmd_clean_text(bytesPtr(b), C.size_t(len(b)), &co, &out, &n, &e)
	if err := errOf(&e); err != nil {
		return "", err
	}
	defer C.llmd_free(unsafe.Pointer(out))
	return string(cBytes(out, n)), nil
}

// Span is one PII finding: its type name (EMAIL_ADDRESS, ...) and byte offsets [Start, End) into
// the text given to the redactor.
type Span struct {
	Type       string
	Start, End int
}

// Redactor finds and replaces PII. Immutable: safe for concurrent use.
type Redactor struct{ h handle }

// RedactorOptions: Types lists built-in type names (empty = all); Replacement is the template
// ("[{type}]" when empty).
type RedactorOptions struct {
	Types       []string
	Replacement string
}

// NewRedactor builds a redactor (opts nil = every built-in type, "[{type}]").
func NewRedactor(opts *RedactorOptions) (*Redactor, error) {
	var co C.llmd_redactor_options
	C.llmd_redactor_options_init(&co)
	var e C.llmdgo_err
	if opts != nil && len(opts.Types) > 0 {
		list := C.CString(strings.Join(opts.Types, ","))
		defer C.free(unsafe.Pointer(list))
		var mask C.uint32_t
		if C.go_llmd_pii_parse_types(list, &mask, &e); e.status != 0 {
			return nil, errOf(&e)
		}
		co.types = mask
	}
	if opts != nil && opts.Replacement != "" {
		repl := C.CString(opts.Replacement)
		defer C.free(unsafe.Pointer(repl))
		co.replacement = repl
	}
	var r *C.llmd_redactor
	if C.go_llmd_redactor_new(&r, &co, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	red := &Redactor{h: handle{ptr: unsafe.Pointer(r), shared: true,
		free: func(p unsafe.Pointer) { C.llmd_redactor_free((*C.llmd_redactor)(p)) }}}
	runtime.SetFinalizer(red, (*Redactor).Close)
	return red, nil
}

// Close frees the redactor (waits for calls in flight). Idempotent.
func (r *Redactor) Close() error {
	r.h.close()
	return nil
}

func spansOf(sp *C.llmd_pii_span, n C.size_t) []Span {
	if n == 0 {
		return []Span{}
	}
	cs := unsafe.Slice(sp, int(n))
	out := make([]Span, n)
	for i, s := range cs {
		out[i] = Span{Type: C.GoString(s._type), Start: int(s.start), End: int(s.end)}
	}
	return out
}

// Find returns the PII spans of text, in order, without overlaps.
func (r *Redactor) Find(text string) ([]Span, error) {
	p, err := r.h.enter()
	if err != nil {
		return nil, err
	}
	defer r.h.leave()
	b := []byte(text)
	var sp *C.llmd_pii_span
	var n C.size_t
	var e C.llmdgo_err
	if C.go_llmd_redactor_find((*C.llmd_redactor)(p), bytesPtr(b), C.size_t(len(b)), &sp, &n, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	defer C.llmd_free(unsafe.Pointer(sp))
	return spansOf(sp, n), nil
}

// Redact replaces each PII span by the template; spans index into the ORIGINAL text.
func (r *Redactor) Redact(text string) (string, []Span, error) {
	return r.redact(text, nil)
}

// CleanAndRedact cleans text (opts nil = defaults), then redacts; spans index into the cleaned text.
func (r *Redactor) CleanAndRedact(text string, opts *CleanOptions) (string, []Span, error) {
	o := DefaultCleanOptions()
	if opts != nil {
		o = *opts
	}
	return r.redact(text, &o)
}

func (r *Redactor) redact(text string, clean *CleanOptions) (string, []Span, error) {
	p, err := r.h.enter()
	if err != nil {
		return "", nil, err
	}
	defer r.h.leave()
	b := []byte(text)
	var out *C.char
	var n, ns C.size_t
	var sp *C.llmd_pii_span
	var e C.llmdgo_err
	if clean != nil {
		co := clean.c()
		C.go_llmd_clean_and_redact(bytesPtr(b), C.size_t(len(b)), &co, (*C.llmd_redactor)(p), &out, &n, &sp, &ns, &e)
	} else {
		C.go_llmd_redactor_redact((*C.llmd_redactor)(p), bytesPtr(b), C.size_t(len(b)), &out, &n, &sp, &ns, &e)
	}
	if e.status != 0 {
		return "", nil, errOf(&e)
	}
	defer C.llmd_free(unsafe.Pointer(out))
	defer C.llmd_free(unsafe.Pointer(sp))
	return string(cBytes(out, n)), spansOf(sp, ns), nil
}
