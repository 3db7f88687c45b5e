package llmdata

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Tokenizer is a BPE tokenizer loaded from a Hugging Face tokenizer.json or a tiktoken file: ids
// byte-identical to Hugging Face tokenizers / tiktoken. Immutable: safe for concurrent use.
type Tokenizer struct{ h handle }

func newTokenizer(p *C.llmd_tokenizer) *Tokenizer {
	t := &Tokenizer{h: handle{ptr: unsafe.Pointer(p), shared: true,
		free: func(p unsafe.Pointer) { C.llmd_tokenizer_free((*C.llmd_tokenizer)(p)) }}}
	runtime.SetFinalizer(t, (*Tokenizer).Close)
	return t
}

// LoadTokenizer loads tokenizer.json or a .tiktoken file.
func LoadTokenizer(path string) (*Tokenizer, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var p *C.llmd_tokenizer
	var e C.llmdgo_err
	if C.go_llmd_tokenizer_load(&p, cpath, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	return newTokenizer(p), nil
}

// TokenizerFromJSON loads a tokenizer from tokenizer.json content.
func TokenizerFromJSON(json []byte) (*Tokenizer, error) {
	var p *C.llmd_tokenizer
	var e C.llmdgo_err
	if C.go_llmd_tokenizer_from_json(&p, bytesPtr(json), C.size_t(len(json)), &e); e.status != 0 {
		return nil, errOf(&e)
	}
	return newTokenizer(p), nil
}

// Close frees the tokenizer (waits for calls in flight). Idempotent.
func (t *Tokenizer) Close() error { t.h.close(); return nil }

func tokFlags(addSpecial bool) C.uint {
	if addSpecial {
		return C.LLMD_TOK_ADD_SPECIAL
	}
	return 0
}

func idsOf(p *C.uint32_t, n C.size_t) []uint32 {
	out := make([]uint32, n)
	if n > 0 {
		copy(out, unsafe.Slice((*uint32)(unsafe.Pointer(p)), int(n)))
	}
	return out
}

// Encode tokenizes text; addSpecial applies the post-processor (Hugging Face's
// add_special_tokens=True, its default).
func (t *Tokenizer) Encode(text string, addSpecial bool) ([]uint32, error) {
	p, err := t.h.enter()
	if err != nil {
		return nil, err
	}
	defer t.h.leave()
	b := []byte(text)
	var ids *C.uint32_t
	var n C.size_t
	var e C.llmdgo_err
	if C.go_llmd_tokenizer_encode((*C.llmd_tokenizer)(p), bytesPtr(b), C.size_t(len(b)), tokFlags(addSpecial), &ids, &n, nil, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	defer C.llmd_free(unsafe.Pointer(ids))
	return idsOf(ids, n), nil
}

// EncodeBatch tokenizes many texts on threads (0 = one per CPU); result[i] belongs to texts[i]
// and does not depend on the thread count.
func (t *Tokenizer) EncodeBatch(texts []string, addSpecial bool, threads int) ([][]uint32, error) {
	if threads < 0 {
		return nil, argError("threads %d: must be >= 0", threads)
	}
	p, err := t.h.enter()
	if err != nil {
		return nil, err
	}
	defer t.h.leave()
	buf, offs := packTexts(texts)
	var ids *C.uint32_t
	var docOffs *C.size_t
	var e C.llmdgo_err
	if C.go_llmd_tokenizer_encode_batch((*C.llmd_tokenizer)(p), bytesPtr(buf), &offs[0], C.size_t(len(texts)),
		tokFlags(addSpecial), C.uint(threads), &ids, &docOffs, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	defer C.llmd_free(unsafe.Pointer(ids))
	defer C.llmd_free(unsafe.Pointer(docOffs))
	do := unsafe.Slice((*C.size_t)(docOffs), len(texts)+1)
	flat := idsOf(ids, do[len(texts)])
	out := make([][]uint32, len(texts))
	for i := range out {
		out[i] = flat[do[i]:do[i+1]:do[i+1]]
	}
	return out, nil
}

// Decode turns ids back into text (skipSpecial leaves special tokens out).
func (t *Tokenizer) Decode(ids []uint32, skipSpecial bool) (string, error) {
	p, err := t.h.enter()
	if err != nil {
		return "", err
	}
	defer t.h.leave()
	var flags C.uint
	if skipSpecial {
		flags = C.LLMD_TOK_SKIP_SPECIAL
	}
	var idp *C.uint32_t
	if len(ids) > 0 {
		idp = (*C.uint32_t)(unsafe.Pointer(&ids[0]))
	}
	var out *C.char
	var n C.size_t
	var e C.llmdgo_err
	if C.go_llmd_tokenizer_decode((*C.llmd_tokenizer)(p), idp, C.size_t(len(ids)), flags, &out, &n, &e); e.status != 0 {
		return "", errOf(&e)
	}
	defer C.llmd_free(unsafe.Pointer(out))
	return string(cBytes(out, n)), nil
}

// TokenToID looks up a token's id (ErrNotFound when absent).
func (t *Tokenizer) TokenToID(token string) (uint32, error) {
	p, err := t.h.enter()
	if err != nil {
		return 0, err
	}
	defer t.h.leave()
	b := []byte(token)
	var id C.uint32_t
	var e C.llmdgo_err
	C.go_llmd_tokenizer_token_to_id((*C.llmd_tokenizer)(p), bytesPtr(b), C.size_t(len(b)), &id, &e)
	return uint32(id), errOf(&e)
}

// VocabSize is Hugging Face's get_vocab_size(with_added_tokens=True).
func (t *Tokenizer) VocabSize() uint64 {
	p, err := t.h.enter()
	if err != nil {
		return 0
	}
	defer t.h.leave()
	return uint64(C.llmd_tokenizer_vocab_size((*C.llmd_tokenizer)(p)))
}

// IsSpecial reports whether id is a special token.
func (t *Tokenizer) IsSpecial(id uint32) bool {
	p, err := t.h.enter()
	if err != nil {
		return false
	}
	defer t.h.leave()
	return C.llmd_tokenizer_is_special((*C.llmd_tokenizer)(p), C.uint32_t(id)) != 0
}

// EOSID is the end-of-text token's id, or -1 when the tokenizer has none.
func (t *Tokenizer) EOSID() int64 {
	p, err := t.h.enter()
	if err != nil {
		return -1
	}
	defer t.h.leave()
	return int64(C.llmd_tokenizer_eos_id((*C.llmd_tokenizer)(p)))
}
