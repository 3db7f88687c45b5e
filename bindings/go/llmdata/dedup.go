package llmdata

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// ExactHash is the 16-byte content hash (XXH3-128, little-endian) of text, or of its folded form
// (lower-cased words joined by one space) when normalized is true. Safe for concurrent use.
func ExactHash(text string, normalized bool) ([16]byte, error) {
	var out [16]byte
	b := []byte(text)
	flags := C.uint(C.LLMD_EXACT_RAW)
	if normalized {
		flags = C.LLMD_EXACT_NORMALIZED
	}
	var e C.llmdgo_err
	C.go_llmd_exact_hash(bytesPtr(b), C.size_t(len(b)), flags, (*C.uint8_t)(unsafe.Pointer(&out[0])), &e)
	return out, errOf(&e)
}

// FoldText is the folded text that normalized exact hashing and MinHash shingling see.
func FoldText(text string) (string, error) {
	b := []byte(text)
	var out *C.char
	var n C.size_t
	var e C.llmdgo_err
	if C.go_llmd_fold_text(bytesPtr(b), C.size_t(len(b)), &out, &n, &e); e.status != 0 {
		return "", errOf(&e)
	}
	defer C.llmd_free(unsafe.Pointer(out))
	return string(cBytes(out, n)), nil
}

// ExactSet is a set of content hashes (exact dedup). Calls are serialised by the binding.
type ExactSet struct{ h handle }

// NewExactSet creates an empty set; capacity is a hint (0: grow as needed).
func NewExactSet(capacity uint64) (*ExactSet, error) {
	var o C.llmd_exact_set_options
	o.version = C.LLMD_EXACT_SET_OPTIONS_VERSION
	o.capacity = C.uint64_t(capacity)
	o.key_bytes = 16
	var s *C.llmd_exact_set
	var e C.llmdgo_err
	if C.go_llmd_exact_set_new(&s, &o, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	set := &ExactSet{h: handle{ptr: unsafe.Pointer(s),
		free: func(p unsafe.Pointer) { C.llmd_exact_set_free((*C.llmd_exact_set)(p)) }}}
	runtime.SetFinalizer(set, (*ExactSet).Close)
	return set, nil
}

// Close frees the set. Idempotent.
func (s *ExactSet) Close() error { s.h.close(); return nil }

// Insert adds a hash; it reports whether the hash was new (false: a duplicate).
func (s *ExactSet) Insert(hash [16]byte) (bool, error) {
	p, err := s.h.enter()
	if err != nil {
		return false, err
	}
	defer s.h.leave()
	var wasNew C.int
	var e C.llmdgo_err
	C.go_llmd_exact_set_insert((*C.llmd_exact_set)(p), (*C.uint8_t)(unsafe.Pointer(&hash[0])), &wasNew, &e)
	return wasNew == 1, errOf(&e)
}

// Len is the number of hashes in the set.
func (s *ExactSet) Len() uint64 {
	p, err := s.h.enter()
	if err != nil {
		return 0
	}
	defer s.h.leave()
	return uint64(C.llmd_exact_set_count((*C.llmd_exact_set)(p)))
}

// MinHashOptions: NumPerm (default 128), NGram (default 5 words), Seed (default 1).
type MinHashOptions struct {
	NumPerm uint32
	NGram   uint32
	Seed    uint64
}

func (o *MinHashOptions) c() C.llmd_minhash_options {
	var co C.llmd_minhash_options
	C.llmd_minhash_options_init(&co)
	if o != nil {
		if o.NumPerm != 0 {
			co.num_perm = C.uint32_t(o.NumPerm)
		}
		if o.NGram != 0 {
			co.ngram = C.uint32_t(o.NGram)
		}
		if o.Seed != 0 {
			co.seed = C.uint64_t(o.Seed)
		}
	}
	return co
}

// MinHasher computes MinHash signatures; the same bytes in every process. Safe for concurrent use.
type MinHasher struct {
	h       handle
	numPerm int
}

// NewMinHasher builds a hasher (opts nil = defaults: 128 permutations of word 5-grams, seed 1).
func NewMinHasher(opts *MinHashOptions) (*MinHasher, error) {
	co := opts.c()
	var h *C.llmd_minhasher
	var e C.llmdgo_err
	if C.go_llmd_minhasher_new(&h, &co, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	m := &MinHasher{numPerm: int(co.num_perm), h: handle{ptr: unsafe.Pointer(h), shared: true,
		free: func(p unsafe.Pointer) { C.llmd_minhasher_free((*C.llmd_minhasher)(p)) }}}
	runtime.SetFinalizer(m, (*MinHasher).Close)
	return m, nil
}

// Close frees the hasher. Idempotent.
func (m *MinHasher) Close() error { m.h.close(); return nil }

// NumPerm is the signature length.
func (m *MinHasher) NumPerm() int { return m.numPerm }

// Signature of one document (NumPerm values).
func (m *MinHasher) Signature(text string) ([]uint32, error) {
	p, err := m.h.enter()
	if err != nil {
		return nil, err
	}
	defer m.h.leave()
	sig := make([]uint32, m.numPerm)
	b := []byte(text)
	var e C.llmdgo_err
	C.go_llmd_minhash((*C.llmd_minhasher)(p), bytesPtr(b), C.size_t(len(b)), (*C.uint32_t)(unsafe.Pointer(&sig[0])), nil, &e)
	return sig, errOf(&e)
}

// Signatures of many documents on threads (0 = one per CPU): sigs[i] belongs to texts[i].
func (m *MinHasher) Signatures(texts []string, threads int) ([][]uint32, error) {
	if threads < 0 {
		return nil, argError("threads %d: must be >= 0", threads)
	}
	p, err := m.h.enter()
	if err != nil {
		return nil, err
	}
	defer m.h.leave()
	buf, offs := packTexts(texts)
	flat := make([]uint32, len(texts)*m.numPerm+1)
	var e C.llmdgo_err
	C.go_llmd_minhash_batch((*C.llmd_minhasher)(p), bytesPtr(buf), &offs[0], C.size_t(len(texts)), C.uint(threads),
		(*C.uint32_t)(unsafe.Pointer(&flat[0])), &e)
	if err := errOf(&e); err != nil {
		return nil, err
	}
	out := make([][]uint32, len(texts))
	for i := range out {
		out[i] = flat[i*m.numPerm : (i+1)*m.numPerm : (i+1)*m.numPerm]
	}
	return out, nil
}

// SignatureBytes serialises a signature as little-endian bytes (what Spark/Dask shuffle).
func SignatureBytes(sig []uint32) []byte {
	out := make([]byte, 4*len(sig))
	if len(sig) > 0 {
		C.llmd_minhash_to_bytes((*C.uint32_t)(unsafe.Pointer(&sig[0])), C.uint32_t(len(sig)), (*C.uint8_t)(unsafe.Pointer(&out[0])))
	}
	return out
}

// Jaccard estimates the Jaccard similarity of two signatures of equal length.
func Jaccard(a, b []uint32) (float64, error) {
	if len(a) != len(b) || len(a) == 0 {
		return 0, argError("signatures of lengths %d and %d", len(a), len(b))
	}
	return float64(C.llmd_minhash_jaccard((*C.uint32_t)(unsafe.Pointer(&a[0])), (*C.uint32_t)(unsafe.Pointer(&b[0])), C.uint32_t(len(a)))), nil
}

// LshParams is datasketch's optimal (bands, rows) for a threshold.
func LshParams(threshold float64, numPerm uint32) (bands, rows uint32, err error) {
	var b, r C.uint32_t
	var e C.llmdgo_err
	C.go_llmd_lsh_optimal_params(C.double(threshold), C.uint32_t(numPerm), &b, &r, &e)
	return uint32(b), uint32(r), errOf(&e)
}

// BandKeySize is the size of one LSH band key in bytes.
const BandKeySize = C.LLMD_BAND_KEY_SIZE

// BandKeys returns the signature's band keys (bands keys of BandKeySize bytes each).
func BandKeys(sig []uint32, bands, rows uint32) ([][]byte, error) {
	if len(sig) == 0 {
		return nil, argError("empty signature")
	}
	flat := make([]byte, int(bands)*BandKeySize+1)
	var e C.llmdgo_err
	C.go_llmd_lsh_band_keys((*C.uint32_t)(unsafe.Pointer(&sig[0])), C.uint32_t(len(sig)), C.uint32_t(bands), C.uint32_t(rows),
		(*C.uint8_t)(unsafe.Pointer(&flat[0])), &e)
	if err := errOf(&e); err != nil {
		return nil, err
	}
	keys := make([][]byte, bands)
	for i := range keys {
		keys[i] = flat[i*BandKeySize : (i+1)*BandKeySize : (i+1)*BandKeySize]
	}
	return keys, nil
}

// LshOptions: Threshold (default 0.8); Bands and Rows both 0 = optimal for the threshold.
type LshOptions struct {
	Threshold   float64
	Bands, Rows uint32
}

// LshMatch is the result of an insert.
type LshMatch struct {
	Entry          uint64  // the new entry's number (insertion order)
	Duplicate      bool    // it matched an earlier entry
	Match          uint64  // the best-matching entry, if Duplicate
	MatchJaccard   float64 // its estimated Jaccard
	Representative uint64  // representative of the new entry's cluster
}

// LshIndex is a near-duplicate index. Calls are serialised by the binding.
type LshIndex struct {
	h       handle
	numPerm int
}

func newLshIndex(p *C.llmd_lsh_index, numPerm int) *LshIndex {
	x := &LshIndex{numPerm: numPerm, h: handle{ptr: unsafe.Pointer(p),
		free: func(p unsafe.Pointer) { C.llmd_lsh_index_free((*C.llmd_lsh_index)(p)) }}}
	runtime.SetFinalizer(x, (*LshIndex).Close)
	return x
}

// NewLshIndex creates an empty index for signatures made with mh (nil = default hasher options).
func NewLshIndex(mh *MinHashOptions, opts *LshOptions) (*LshIndex, error) {
	cm := mh.c()
	var co C.llmd_lsh_options
	co.version = C.LLMD_LSH_OPTIONS_VERSION
	co.threshold = 0.8
	if opts != nil {
		if opts.Threshold != 0 {
			co.threshold = C.double(opts.Threshold)
		}
		co.bands, co.rows = C.uint32_t(opts.Bands), C.uint32_t(opts.Rows)
	}
	var p *C.llmd_lsh_index
	var e C.llmdgo_err
	if C.go_llmd_lsh_index_new(&p, &cm, &co, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	return newLshIndex(p, int(cm.num_perm)), nil
}

// LoadLshIndex loads an index saved by Save; mh (may be nil) must match the file's hasher.
func LoadLshIndex(path string, mh *MinHashOptions) (*LshIndex, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cm *C.llmd_minhash_options
	if mh != nil {
		o := mh.c()
		cm = &o
	}
	var p *C.llmd_lsh_index
	var e C.llmdgo_err
	if C.go_llmd_lsh_index_load(&p, cpath, cm, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	return newLshIndex(p, int(C.llmd_lsh_index_num_perm(p))), nil
}

// Close frees the index. Idempotent.
func (x *LshIndex) Close() error { x.h.close(); return nil }

// Len is the number of entries.
func (x *LshIndex) Len() uint64 {
	p, err := x.h.enter()
	if err != nil {
		return 0
	}
	defer x.h.leave()
	return uint64(C.llmd_lsh_index_count((*C.llmd_lsh_index)(p)))
}

// Insert adds an entry (key: any bytes, e.g. a document id) and reports whether it duplicates an
// earlier one. priority 0 = "first inserted wins" as the cluster representative.
func (x *LshIndex) Insert(key []byte, sig []uint32, priority uint64) (LshMatch, error) {
	p, err := x.h.enter()
	if err != nil {
		return LshMatch{}, err
	}
	defer x.h.leave()
	if len(sig) != x.numPerm {
		return LshMatch{}, argError("signature of %d values; this index takes %d", len(sig), x.numPerm)
	}
	var m C.llmd_lsh_match
	var e C.llmdgo_err
	C.go_llmd_lsh_index_insert((*C.llmd_lsh_index)(p), unsafe.Pointer(bytesPtr(key)), C.size_t(len(key)),
		(*C.uint32_t)(unsafe.Pointer(&sig[0])), C.uint64_t(priority), &m, &e)
	if err := errOf(&e); err != nil {
		return LshMatch{}, err
	}
	return LshMatch{Entry: uint64(m.entry), Duplicate: m.duplicate != 0, Match: uint64(m.match),
		MatchJaccard: float64(m.match_jaccard), Representative: uint64(m.representative)}, nil
}

// Query returns the entries whose estimated Jaccard with sig reaches the threshold (ascending).
func (x *LshIndex) Query(sig []uint32) ([]uint64, error) {
	p, err := x.h.enter()
	if err != nil {
		return nil, err
	}
	defer x.h.leave()
	if len(sig) != x.numPerm {
		return nil, argError("signature of %d values; this index takes %d", len(sig), x.numPerm)
	}
	out := make([]uint64, 64)
	for {
		var n C.size_t
		var e C.llmdgo_err
		C.go_llmd_lsh_index_query((*C.llmd_lsh_index)(p), (*C.uint32_t)(unsafe.Pointer(&sig[0])),
			(*C.uint64_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &n, &e)
		if err := errOf(&e); err != nil {
			return nil, err
		}
		if int(n) <= len(out) {
			return out[:n], nil
		}
		out = make([]uint64, n)
	}
}

// Save writes the index to path atomically.
func (x *LshIndex) Save(path string) error {
	p, err := x.h.enter()
	if err != nil {
		return err
	}
	defer x.h.leave()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var e C.llmdgo_err
	C.go_llmd_lsh_index_save((*C.llmd_lsh_index)(p), cpath, &e)
	return errOf(&e)
}
