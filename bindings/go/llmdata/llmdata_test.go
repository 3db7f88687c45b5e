package llmdata

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the checkout this package lives in (bindings/go/llmdata → ../../..).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func gpt2(t *testing.T) *Tokenizer {
	t.Helper()
	tok, err := LoadTokenizer(filepath.Join(repoRoot(t), "examples/data/gpt2-tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// cli finds the built llmdata CLI (LLMDATA_CLI, else build/examples/llmdata/llmdata); under CI a
// missing CLI fails the test instead of skipping it.
func cli(t *testing.T) string {
	t.Helper()
	p := os.Getenv("LLMDATA_CLI")
	if p == "" {
		p = filepath.Join(repoRoot(t), "build/examples/llmdata/llmdata")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("llmdata CLI not found at %s", p)
		}
		t.Skipf("llmdata CLI not found at %s", p)
	}
	return p
}

func runCLI(t *testing.T, stdin string, args ...string) []map[string]json.RawMessage {
	t.Helper()
	cmd := exec.Command(cli(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("llmdata %v: %v: %s", args, err, errb.String())
	}
	var docs []map[string]json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var d map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("bad CLI output line %q: %v", line, err)
		}
		docs = append(docs, d)
	}
	return docs
}

func jsonl(texts ...string) string {
	var b strings.Builder
	for _, s := range texts {
		j, _ := json.Marshal(map[string]string{"text": s})
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

var corpus = []string{
	"Hello world!",
	"The quick brown fox jumps over the lazy dog near the river bank today.",
	"Ünïcödé façade — naïve café; 東京 and emoji 🙂 with  double  spaces\n\nand paragraphs.",
	"<|endoftext|> special tokens and code: for (int i = 0; i < n; i++) { x += i; }",
	"",
}

func TestVersionAndErrors(t *testing.T) {
	if !strings.HasPrefix(Version(), "0.") {
		t.Fatalf("version %q", Version())
	}
	_, err := LoadTokenizer("/nonexistent/tok.json")
	var le *Error
	if !errors.As(err, &le) || !errors.Is(err, ErrNotFound) || le.StatusName != "LLMD_ERR_NOT_FOUND" ||
		!strings.Contains(le.Message, "/nonexistent/tok.json") {
		t.Fatalf("want a NOT_FOUND error naming the file, got %#v", err)
	}
	if _, err := TokenizerFromJSON([]byte(`{"model": `)); !errors.Is(err, ErrParse) {
		t.Fatalf("truncated JSON: want ErrParse, got %v", err)
	}
}

// The message of a failed call is taken inside the same C call: with many goroutines on many OS
// threads, each error names the file its own call was given.
func TestErrorMessagesStayWithTheirCall(t *testing.T) {
	old := runtime.GOMAXPROCS(8)
	defer runtime.GOMAXPROCS(old)
	var wg sync.WaitGroup
	errs := make(chan string, 512)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				name := fmt.Sprintf("/nonexistent/g%d-i%d.json", g, i)
				_, err := LoadTokenizer(name)
				if err == nil || !strings.Contains(err.Error(), name) {
					errs <- fmt.Sprintf("%s: got %v", name, err)
				}
				runtime.Gosched()
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestTokenizerMatchesPeerAndCLI(t *testing.T) {
	tok := gpt2(t)
	defer tok.Close()
	// GPT-2 ids as tiktoken's r50k/gpt2 encoding gives them.
	ids, err := tok.Encode("Hello world!", false)
	if err != nil || fmt.Sprint(ids) != "[15496 995 0]" {
		t.Fatalf("Encode: %v %v", ids, err)
	}
	// The same ids as the CLI for the same texts, single and batch, any thread count.
	docs := runCLI(t, jsonl(corpus...), "tokenize", "-q", "--tokenizer",
		filepath.Join(repoRoot(t), "examples/data/gpt2-tokenizer.json"))
	batch, err := tok.EncodeBatch(corpus, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range corpus {
		var want []uint32
		if err := json.Unmarshal(docs[i]["ids"], &want); err != nil {
			t.Fatalf("CLI ids of doc %d: %v", i, err)
		}
		got, err := tok.Encode(text, false)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(batch[i]) != fmt.Sprint(want) {
			t.Fatalf("doc %d: Encode %v, batch %v, CLI %v", i, got, batch[i], want)
		}
		back, err := tok.Decode(got, false)
		if err != nil || back != text {
			t.Fatalf("doc %d: decode %q (%v), want %q", i, back, err, text)
		}
	}
	if id, err := tok.TokenToID("<|endoftext|>"); err != nil || id != 50256 || !tok.IsSpecial(id) || tok.EOSID() != 50256 {
		t.Fatalf("<|endoftext|>: %d %v special=%v eos=%d", id, err, tok.IsSpecial(id), tok.EOSID())
	}
	if tok.VocabSize() != 50257 {
		t.Fatalf("vocab size %d", tok.VocabSize())
	}
	if _, err := tok.Decode([]uint32{99999999}, false); !errors.Is(err, ErrRange) {
		t.Fatalf("decode of an unknown id: %v", err)
	}
}

func TestSignaturesAndBandKeysMatchCLIBytes(t *testing.T) {
	mh, err := NewMinHasher(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mh.Close()
	texts := corpus[:4]
	docs := runCLI(t, jsonl(texts...), "minhash", "-q")
	sigs, err := mh.Signatures(texts, 2)
	if err != nil {
		t.Fatal(err)
	}
	bands, rows, err := LshParams(0.8, 128)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		one, err := mh.Signature(text)
		if err != nil {
			t.Fatal(err)
		}
		var wantHex string
		json.Unmarshal(docs[i]["minhash"], &wantHex)
		if got := hex.EncodeToString(SignatureBytes(one)); got != wantHex {
			t.Fatalf("doc %d: signature bytes differ from the CLI's", i)
		}
		if hex.EncodeToString(SignatureBytes(sigs[i])) != wantHex {
			t.Fatalf("doc %d: batch signature differs", i)
		}
		var wantBands []string
		json.Unmarshal(docs[i]["bands"], &wantBands)
		keys, err := BandKeys(one, bands, rows)
		if err != nil || len(keys) != len(wantBands) {
			t.Fatalf("doc %d: %d band keys (%v), CLI %d", i, len(keys), err, len(wantBands))
		}
		for b := range keys {
			if hex.EncodeToString(keys[b]) != wantBands[b] {
				t.Fatalf("doc %d band %d differs", i, b)
			}
		}
	}
}

func TestExactAndNearDedup(t *testing.T) {
	a := "The quick brown fox jumps over the lazy dog near the river bank today."
	near := "The quick brown fox jumps over the lazy dog near the river bank tonight."
	ha, _ := ExactHash(a, false)
	hb, _ := ExactHash("THE quick, brown fox jumps over the lazy dog near the river bank today", true)
	hc, _ := ExactHash(a, true)
	if hb != hc || ha == hc {
		t.Fatal("normalized hashes must agree and differ from the raw one")
	}
	if f, _ := FoldText("Don't STOP-me now!"); f != "don t stop me now" {
		t.Fatalf("FoldText: %q", f)
	}
	set, _ := NewExactSet(0)
	defer set.Close()
	if n, _ := set.Insert(ha); !n {
		t.Fatal("first insert must be new")
	}
	if n, _ := set.Insert(ha); n || set.Len() != 1 {
		t.Fatal("second insert must be a duplicate")
	}
	mh, _ := NewMinHasher(nil)
	defer mh.Close()
	idx, err := NewLshIndex(nil, &LshOptions{Threshold: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	for i, text := range []string{a, near, "Entirely unrelated words about packing token windows for training runs."} {
		sig, _ := mh.Signature(text)
		m, err := idx.Insert([]byte(fmt.Sprint(i)), sig, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 1; m.Duplicate != want || (want && (m.Match != 0 || m.Representative != 0)) {
			t.Fatalf("doc %d: %+v", i, m)
		}
	}
	if _, err := idx.Insert([]byte("x"), []uint32{1, 2, 3}, 0); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("short signature: %v", err)
	}
	path := filepath.Join(t.TempDir(), "idx.lsh")
	if err := idx.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadLshIndex(path, nil)
	if err != nil || back.Len() != 3 {
		t.Fatalf("load: %v", err)
	}
	sig, _ := mh.Signature(near)
	if found, err := back.Query(sig); err != nil || fmt.Sprint(found) != "[0 1]" {
		t.Fatalf("query after load: %v %v", found, err)
	}
	back.Close()
	os.WriteFile(path, []byte("LLMDLSH\x00garbage"), 0o644)
	if _, err := LoadLshIndex(path, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt index: %v", err)
	}
}

func TestCleanAndRedact(t *testing.T) {
	if s, err := CleanText("<p>Caf\u0065\u0301 &amp; more</p>", nil); err != nil || s != "Café & more" {
		t.Fatalf("CleanText: %q %v", s, err)
	}
	opts := DefaultCleanOptions()
	opts.RejectBadUTF8 = true
	if _, err := CleanText("bad \xff byte", &opts); !errors.Is(err, ErrUTF8) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	red, err := NewRedactor(&RedactorOptions{Types: []string{"EMAIL_ADDRESS", "CREDIT_CARD"}})
	if err != nil {
		t.Fatal(err)
	}
	defer red.Close()
	text, spans, err := red.Redact("mail bob@example.com, card 4242 4242 4242 4242")
	if err != nil || text != "mail [EMAIL_ADDRESS], card [CREDIT_CARD]" || len(spans) != 2 ||
		spans[0] != (Span{"EMAIL_ADDRESS", 5, 20}) || spans[1].Type != "CREDIT_CARD" {
		t.Fatalf("Redact: %q %v %v", text, spans, err)
	}
	text, spans, _ = red.CleanAndRedact("<b>x@example.org</b>", nil)
	if text != "[EMAIL_ADDRESS]" || spans[0] != (Span{"EMAIL_ADDRESS", 0, 13}) {
		t.Fatalf("CleanAndRedact: %q %v", text, spans)
	}
	if _, err := NewRedactor(&RedactorOptions{Types: []string{"NOPE"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown type: %v", err)
	}
}

// Close while other goroutines are inside calls: no crash; calls after Close get ErrClosed.
func TestCloseDuringCalls(t *testing.T) {
	tok := gpt2(t)
	text := strings.Repeat("Hello world, this is a sentence. ", 2000)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := tok.EncodeBatch([]string{text, text}, true, 2); err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("unexpected error: %v", err)
					return
				}
			}
		}()
	}
	tok.Close()
	wg.Wait()
	if _, err := tok.Encode("x", false); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	tok.Close() // idempotent
}

func TestPipelineEndToEnd(t *testing.T) {
	root := repoRoot(t)
	out := filepath.Join(t.TempDir(), "shards")
	pl, err := NewPipeline()
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	if err := pl.Set("no_such_setting", "1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown setting: %v", err)
	}
	for k, v := range map[string]string{"tokenizer": filepath.Join(root, "examples/data/gpt2-tokenizer.json"),
		"seq_len": "128", "out": out} {
		if err := pl.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := pl.AddInput(filepath.Join(root, "examples/data/sample.jsonl")); err != nil {
		t.Fatal(err)
	}
	js, text, err := pl.Run()
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]interface{}
	if err := json.Unmarshal([]byte(js), &rep); err != nil || text == "" {
		t.Fatalf("report: %v", err)
	}
	// The CLI on the same input with the same settings writes the same shard bytes.
	out2 := filepath.Join(t.TempDir(), "cli")
	cmd := exec.Command(cli(t), "pipeline", "-q", "--tokenizer", filepath.Join(root, "examples/data/gpt2-tokenizer.json"),
		"--seq-len", "128", "--out", out2, filepath.Join(root, "examples/data/sample.jsonl"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CLI pipeline: %v: %s", err, msg)
	}
	for _, name := range []string{"data.bin", "data.idx"} {
		a, errA := os.ReadFile(filepath.Join(out, name))
		b, errB := os.ReadFile(filepath.Join(out2, name))
		if errA != nil || errB != nil || !bytes.Equal(a, b) || len(a) == 0 {
			t.Fatalf("%s differs between Go and the CLI (%v %v)", name, errA, errB)
		}
	}
}

func BenchmarkEncodeSmallDocument(b *testing.B) {
	tok, err := LoadTokenizer("../../../examples/data/gpt2-tokenizer.json")
	if err != nil {
		b.Fatal(err)
	}
	defer tok.Close()
	doc := "A short document of about one hundred bytes, as web pages' first paragraphs often are today."
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tok.Encode(doc, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedactSmallDocument(b *testing.B) {
	red, _ := NewRedactor(nil)
	defer red.Close()
	doc := "Contact bob@example.com or call +1 415 555 0100; the rest is ordinary text of a document."
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := red.Redact(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFilterMatchesCLI(t *testing.T) {
	f, err := NewFilter(&FilterOptions{Filters: "c4,gopher,language", Languages: "en"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs := []string{
		"This is a perfectly ordinary English paragraph. It has several sentences that end with periods. " +
			"Each one is long enough to pass the line rules. The text talks about the weather and the city. " +
			"Nothing in it should be removed by any of the usual quality filters we apply here today.",
		"lorem ipsum dolor sit amet",
		"Ceci est une phrase en français sur le temps qu'il fait et la ville, écrite simplement pour tous.",
	}
	out := runCLI(t, jsonl(docs...), "filter", "-q", "--rules", "c4,gopher,language", "--languages", "en", "--annotate")
	for i, d := range docs {
		r, err := f.Apply(d)
		if err != nil {
			t.Fatal(err)
		}
		var ann struct {
			Kept bool    `json:"kept"`
			Rule *string `json:"rule"`
		}
		json.Unmarshal(out[i]["filter"], &ann)
		want := ""
		if ann.Rule != nil {
			want = *ann.Rule
		}
		if r.Keep != ann.Kept || r.Reason != want {
			t.Fatalf("doc %d: Go keep=%v reason=%q, CLI kept=%v rule=%q", i, r.Keep, r.Reason, ann.Kept, want)
		}
	}
	if _, err := NewFilter(&FilterOptions{Filters: "c4,nope"}); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("unknown filter: %v", err)
	}
}

// Packing from Go writes the same shard bytes as `llmdata pack` on the same ids.
func TestPackerShardsMatchCLI(t *testing.T) {
	dir := t.TempDir()
	docs := [][]uint32{{1, 2, 3}, {4, 5, 6, 7, 8}, {9}, {10, 11, 12, 13, 14, 15, 16, 17, 18}}
	w, err := OpenShardWriter(filepath.Join(dir, "go"), ShardOptions{SeqLen: 8, VocabSize: 50257})
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultPackOptions()
	opts.SeqLen, opts.EOS = 8, 0
	p, err := NewPacker(opts, w)
	if err != nil {
		t.Fatal(err)
	}
	w.Close() // pinned by the packer: still usable by it
	for _, d := range docs {
		if err := p.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Finish on a closed writer: %v", err)
	}
	p.Close()
	// Again, finishing the writer this time.
	w, _ = OpenShardWriter(filepath.Join(dir, "go"), ShardOptions{SeqLen: 8, VocabSize: 50257})
	p, _ = NewPacker(opts, w)
	for _, d := range docs {
		p.Add(d)
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(""); err != nil {
		t.Fatal(err)
	}
	files, err := w.Files()
	if err != nil || len(files) == 0 {
		t.Fatalf("files: %v %v", files, err)
	}
	p.Close()
	w.Close()
	var in strings.Builder
	for _, d := range docs {
		j, _ := json.Marshal(map[string][]uint32{"ids": d})
		in.Write(j)
		in.WriteByte('\n')
	}
	cmd := exec.Command(cli(t), "pack", "-q", "--seq-len", "8", "--eos", "0", "--vocab-size", "50257", "-o",
		filepath.Join(dir, "cli"))
	cmd.Stdin = strings.NewReader(in.String())
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("llmdata pack: %v: %s", err, msg)
	}
	for _, ext := range []string{".bin", ".idx"} {
		a, _ := os.ReadFile(filepath.Join(dir, "go"+ext))
		b, _ := os.ReadFile(filepath.Join(dir, "cli"+ext))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s differs between Go and the CLI (%d vs %d bytes)", ext, len(a), len(b))
		}
	}
}

// Delta from Go: create a table like a Parquet file, append it idempotently, and read the same
// snapshot and rows as `llmdata delta files|scan`.
func TestDeltaMatchesCLI(t *testing.T) {
	root := repoRoot(t)
	fixture := filepath.Join(root, "tests/data/parquet/duckdb_small.parquet")
	table := filepath.Join(t.TempDir(), "tbl")
	schema, err := ParquetSchemaJSON(fixture)
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenDeltaTable(table)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.SnapshotJSON(-1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("snapshot of a table without a log: %v", err)
	}
	if err := d.Create(schema); err != nil {
		t.Fatal(err)
	}
	v, err := d.Append([]string{fixture}, "go-test", 1)
	if err != nil || v != 1 {
		t.Fatalf("append: version %d, %v", v, err)
	}
	if v, err := d.Append([]string{fixture}, "go-test", 1); err != nil || v != -1 {
		t.Fatalf("idempotent re-append: version %d, %v (want -1)", v, err)
	}
	js, err := d.SnapshotJSON(-1)
	if err != nil {
		t.Fatal(err)
	}
	var ours, theirs struct {
		Version int64             `json:"version"`
		Files   []json.RawMessage `json:"files"`
	}
	json.Unmarshal([]byte(js), &ours)
	out, err := exec.Command(cli(t), "delta", "files", table).Output()
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(out, &theirs)
	if ours.Version != 1 || theirs.Version != 1 || len(ours.Files) != 1 || len(theirs.Files) != 1 {
		t.Fatalf("snapshot: ours v%d %d files, CLI v%d %d files", ours.Version, len(ours.Files), theirs.Version, len(theirs.Files))
	}
	goRows := filepath.Join(t.TempDir(), "go.jsonl")
	n, err := d.ScanJSONL(-1, goRows)
	if err != nil || n == 0 {
		t.Fatalf("scan: %d rows, %v", n, err)
	}
	cliRows := filepath.Join(t.TempDir(), "cli.jsonl")
	if msg, err := exec.Command(cli(t), "delta", "scan", table, "-o", cliRows).CombinedOutput(); err != nil {
		t.Fatalf("delta scan: %v %s", err, msg)
	}
	a, _ := os.ReadFile(goRows)
	b, _ := os.ReadFile(cliRows)
	if !bytes.Equal(a, b) {
		t.Fatal("scan rows differ between Go and the CLI")
	}
}

// The feature store from Go gives the CLI's point-in-time values (the seed's example).
func TestFeatureStoreMatchesCLI(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "uf.json"), []byte(`{"name": "user_features",
 "entities": [{"name": "user", "join_keys": ["user_id"]}], "ttl_seconds": 604800,
 "schema": [{"name": "total_conversations", "dtype": "Int64"}, {"name": "lang", "dtype": "String"},
            {"name": "emb", "dtype": "Array(Float32)", "length": 2}],
 "source": {"path": "u.jsonl", "timestamp_field": "event_timestamp"}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "u.jsonl"), []byte(
		`{"user_id": "user_001", "event_timestamp": "2025-01-14T00:00:00Z", "total_conversations": 10, "lang": "en", "emb": [1, 2]}
{"user_id": "user_001", "event_timestamp": "2025-02-28T12:00:00Z", "total_conversations": 500, "lang": "fr", "emb": [3, 4]}
`), 0o644)
	repo, err := OpenFeatureRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	if err := repo.Apply(); err != nil {
		t.Fatal(err)
	}
	times := []string{"2025-01-15T10:00:00Z", "2025-03-01T14:00:00Z", "2025-03-01T14:00:00Z"}
	users := []string{"user_001", "user_001", "nobody"}
	us := make([]int64, len(times))
	for i, s := range times {
		us[i], _ = ParseTimestamp(s)
	}
	res, err := repo.GetHistoricalFeatures([]string{"user_features:total_conversations", "user_features:lang",
		"user_features:emb"}, []EntityKeys{{Name: "user_id", Strings: users}}, us, false)
	if err != nil {
		t.Fatal(err)
	}
	tc, lang, emb := res["total_conversations"], res["lang"], res["emb"]
	if !tc[0].Valid || tc[0].Int != 10 || tc[1].Int != 500 || tc[2].Valid || lang[1].String != "fr" ||
		fmt.Sprint(emb[1].Vector) != "[3 4]" {
		t.Fatalf("historical: %+v %+v %+v", tc, lang, emb)
	}
	// The same join under a 1-byte memory limit spills the source and gives the same values; a
	// JSONL source reports no Delta version.
	with, err := repo.GetHistoricalFeaturesWith([]string{"user_features:total_conversations", "user_features:lang"},
		[]EntityKeys{{Name: "user_id", Strings: users}}, us, HistoricalOptions{MemoryLimit: 1, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if with.SpillBytes == 0 || len(with.SourceVersions) != 0 || fmt.Sprint(with.Columns["total_conversations"]) != fmt.Sprint(tc) ||
		fmt.Sprint(with.Columns["lang"]) != fmt.Sprint(lang) {
		t.Fatalf("spilled join: %+v", with)
	}
	var in strings.Builder
	for i := range users {
		fmt.Fprintf(&in, `{"user_id": %q, "event_timestamp": %q}`+"\n", users[i], times[i])
	}
	docs := runCLI(t, in.String(), "feature", "get-historical", "-q", "--repo", dir, "--features",
		"user_features:total_conversations")
	for i, d := range docs {
		want := "null"
		if tc[i].Valid {
			want = fmt.Sprint(tc[i].Int)
		}
		if string(d["total_conversations"]) != want {
			t.Fatalf("row %d: CLI %s, Go %s", i, d["total_conversations"], want)
		}
	}
	if _, err := repo.Materialize("user_features", 0, us[1]); err != nil {
		t.Fatal(err)
	}
	vals, status, err := repo.GetOnlineFeatures("user_features", []EntityKeys{{Name: "user_id",
		Strings: []string{"user_001", "ghost"}}}, 2, []string{"total_conversations"}, 0)
	if err != nil || vals["total_conversations"][0].Int != 500 || status[1][0] != 1 {
		t.Fatalf("online: %+v %v %v", vals, status, err)
	}
	if _, err := repo.GetHistoricalFeatures([]string{"nope:x"}, nil, nil, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown view: %v", err)
	}
}

// Parquet from Go: token windows written by Go read back equal (and as `llmdata parquet head`
// shows them); a DuckDB-written file reads as the CLI reads it.
func TestParquetWindowsAndDuckDBFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data-00000.parquet")
	windows := [][]int32{{15496, 995, 0, 50256}, {464, 2068, 7586, 50256}, {}}
	if err := WriteParquetWindows(path, "input_ids", windows); err != nil {
		t.Fatal(err)
	}
	col, err := ReadParquetColumn(path, "input_ids")
	if err != nil {
		t.Fatal(err)
	}
	if col.Type != "list" || fmt.Sprint(col.Lists) != "[[15496 995 0 50256] [464 2068 7586 50256] []]" {
		t.Fatalf("read back: %s %v", col.Type, col.Lists)
	}
	out, err := exec.Command(cli(t), "parquet", "head", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), `{"input_ids":[15496,995,0,50256]}`) {
		t.Fatalf("CLI head: %s", out)
	}
	fixture := filepath.Join(repoRoot(t), "tests/data/parquet/duckdb_small.parquet")
	ids, err := ReadParquetColumn(fixture, "id")
	if err != nil || fmt.Sprint(ids.Ints) != "[1 2 3]" {
		t.Fatalf("id: %+v %v", ids, err)
	}
	names, err := ReadParquetColumn(fixture, "name")
	if err != nil || names.Strings[0] != "alpha" || names.Valid[1] || names.Strings[2] != `gamma "q"` {
		t.Fatalf("name: %+v %v", names, err)
	}
	if _, err := ReadParquetColumn(fixture, "nope"); err == nil {
		t.Fatal("a missing column must fail")
	}
	if _, err := ReadParquetColumn("/nonexistent.parquet", "id"); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrIO) {
		t.Fatalf("missing file: %v", err)
	}
}
