package llmdata

/*
#include "shim.h"

// Language identification shims (llmdata/langid.h): each makes the library call and captures its
// error in the same C call, like those in shim.h.
LLMDGO_WRAP(llmd_langid_model_load, (llmd_langid_model **out, const char *path, llmdgo_err *e), (out, path))
LLMDGO_WRAP(llmd_langid_model_from_memory, (llmd_langid_model **out, const void *d, size_t n, const char *name,
                                            llmdgo_err *e), (out, d, n, name))

static inline int go_llmd_langid_predict(const llmd_langid_model *m, const char *t, size_t n, int32_t k,
                                         float threshold, llmd_langid_prediction *out, size_t cap, size_t *n_out,
                                         llmdgo_err *e) {
    llmd_langid_predict_options o = LLMD_LANGID_PREDICT_OPTIONS_INIT;
    o.k = k;
    o.threshold = threshold;
    return llmdgo_capture(llmd_langid_predict(m, t, n, &o, out, cap, n_out), e);
}

static inline int go_llmd_langid_predict_top_batch(const llmd_langid_model *m, const char *buf, const size_t *offs,
                                                   size_t n, unsigned threads, int32_t *ids, float *probs,
                                                   llmdgo_err *e) {
    const char **texts;
    size_t *lens;
    if (llmdgo_texts(buf, offs, n, &texts, &lens, e) != LLMD_OK) return e->status;
    int st = llmdgo_capture(llmd_langid_predict_top_batch(m, texts, lens, n, threads, ids, probs), e);
    free(texts);
    free(lens);
    return st;
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// LanguageID is a loaded fastText model (lid.176.ftz by default, or any supervised .ftz/.bin):
// predictions identical to fastText's, newlines read as spaces as datatrove's LanguageFilter does.
// Immutable: safe for concurrent use.
type LanguageID struct {
	h      handle
	labels []string
}

// Prediction is one label ("en", without fastText's "__label__") and its probability as fastText
// reports it.
type Prediction struct {
	Label       string
	Probability float32
}

func newLanguageID(p *C.llmd_langid_model) *LanguageID {
	l := &LanguageID{h: handle{ptr: unsafe.Pointer(p), shared: true,
		free: func(p unsafe.Pointer) { C.llmd_langid_model_free((*C.llmd_langid_model)(p)) }}}
	n := int(C.llmd_langid_label_count(p))
	l.labels = make([]string, n)
	for i := 0; i < n; i++ {
		l.labels[i] = C.GoString(C.llmd_langid_label(p, C.int32_t(i)))
	}
	runtime.SetFinalizer(l, (*LanguageID).Close)
	return l
}

// LoadLanguageID loads a fastText model; path "" means the default model
// (llmd_langid_default_model_path: $LLMD_LANGID_MODEL, else the bundled lid.176.ftz).
func LoadLanguageID(path string) (*LanguageID, error) {
	var cpath *C.char
	if path != "" {
		cpath = C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
	}
	var p *C.llmd_langid_model
	var e C.llmdgo_err
	if C.go_llmd_langid_model_load(&p, cpath, &e); e.status != 0 {
		return nil, errOf(&e)
	}
	return newLanguageID(p), nil
}

// LanguageIDFromBytes loads a fastText model held in memory; name is used in error messages.
func LanguageIDFromBytes(model []byte, name string) (*LanguageID, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var p *C.llmd_langid_model
	var e C.llmdgo_err
	C.go_llmd_langid_model_from_memory(&p, unsafe.Pointer(bytesPtr(model)), C.size_t(len(model)), cname, &e)
	runtime.KeepAlive(model)
	if e.status != 0 {
		return nil, errOf(&e)
	}
	return newLanguageID(p), nil
}

// Close frees the model (waits for calls in flight). Idempotent.
func (l *LanguageID) Close() error { l.h.close(); return nil }

// Labels lists the model's labels in label-id order.
func (l *LanguageID) Labels() []string { return append([]string(nil), l.labels...) }

// Predict returns fastText's top k labels (k = -1: all) with probability >= threshold, best first;
// empty when the text has no known word or n-gram.
func (l *LanguageID) Predict(text string, k int, threshold float32) ([]Prediction, error) {
	p, err := l.h.enter()
	if err != nil {
		return nil, err
	}
	defer l.h.leave()
	capacity := len(l.labels)
	if k > 0 && k < capacity {
		capacity = k
	}
	out := make([]C.llmd_langid_prediction, capacity)
	b := []byte(text)
	var n C.size_t
	var e C.llmdgo_err
	C.go_llmd_langid_predict((*C.llmd_langid_model)(p), bytesPtr(b), C.size_t(len(b)), C.int32_t(k),
		C.float(threshold), &out[0], C.size_t(capacity), &n, &e)
	if e.status != 0 {
		return nil, errOf(&e)
	}
	preds := make([]Prediction, int(n))
	for i := range preds {
		preds[i] = Prediction{Label: l.labels[int(out[i].label_id)], Probability: float32(out[i].probability)}
	}
	return preds, nil
}

// PredictTop returns the best label and its probability ("" and 0 when fastText gives nothing).
func (l *LanguageID) PredictTop(text string) (string, float32, error) {
	preds, err := l.Predict(text, 1, 0)
	if err != nil || len(preds) == 0 {
		return "", 0, err
	}
	return preds[0].Label, preds[0].Probability, nil
}

// PredictTopBatch returns the best label of each text on `threads` threads (0 = one per core);
// the same results as PredictTop one by one.
func (l *LanguageID) PredictTopBatch(texts []string, threads int) ([]Prediction, error) {
	p, err := l.h.enter()
	if err != nil {
		return nil, err
	}
	defer l.h.leave()
	out := make([]Prediction, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	buf, offs := packTexts(texts)
	ids := make([]C.int32_t, len(texts))
	probs := make([]C.float, len(texts))
	var e C.llmdgo_err
	C.go_llmd_langid_predict_top_batch((*C.llmd_langid_model)(p), bytesPtr(buf), &offs[0], C.size_t(len(texts)),
		C.uint(threads), &ids[0], &probs[0], &e)
	if e.status != 0 {
		return nil, errOf(&e)
	}
	for i := range out {
		if ids[i] >= 0 {
			out[i] = Prediction{Label: l.labels[int(ids[i])], Probability: float32(probs[i])}
		}
	}
	return out, nil
}
