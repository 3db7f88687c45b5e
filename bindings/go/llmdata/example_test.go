package llmdata_test

import (
	"fmt"
	"log"

	"github.com/libllmdata/libllmdata/bindings/go/llmdata"
)

// Tokenize with a Hugging Face tokenizer.json, redact PII, and find near duplicates — the README's
// Go example (run from bindings/go/llmdata, so the repo's files are three levels up).
func Example() {
	tok, err := llmdata.LoadTokenizer("../../../examples/data/gpt2-tokenizer.json")
	if err != nil {
		log.Fatal(err) // e.g. "llmdata: LLMD_ERR_NOT_FOUND: ...: cannot open: No such file or directory"
	}
	defer tok.Close()
	ids, _ := tok.Encode("Hello world!", true)
	fmt.Println(ids)

	red, _ := llmdata.NewRedactor(nil)
	defer red.Close()
	text, spans, _ := red.Redact("mail bob@example.com today")
	fmt.Println(text, spans)

	mh, _ := llmdata.NewMinHasher(nil)
	defer mh.Close()
	a, _ := mh.Signature("The quick brown fox jumps over the lazy dog near the river bank today.")
	b, _ := mh.Signature("The quick brown fox jumps over the lazy dog near the river bank tonight.")
	j, _ := llmdata.Jaccard(a, b)
	fmt.Printf("estimated Jaccard %.2f\n", j)
	// Output:
	// [15496 995 0]
	// mail [EMAIL_ADDRESS] today [{EMAIL_ADDRESS 5 20}]
	// estimated Jaccard 0.79
}
