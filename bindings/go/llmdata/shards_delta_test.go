package llmdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Parquet shards from Go: the same windows as `llmdata pack --format parquet` on the same ids,
// files listed with their real sizes, the writer pinned by its packer.
func TestParquetPackerMatchesCLI(t *testing.T) {
	dir := t.TempDir()
	docs := [][]uint32{{1, 2, 3}, {4, 5, 6, 7, 8}, {9}, {10, 11, 12, 13, 14, 15, 16, 17, 18}, {19, 20}}
	opts := DefaultPackOptions()
	opts.SeqLen, opts.EOS = 8, 0
	if _, err := OpenParquetShardWriter(filepath.Join(dir, "bad"), ParquetShardOptions{SeqLen: 0}); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("seq_len 0: %v", err)
	}
	if _, err := OpenParquetShardWriter(filepath.Join(dir, "bad"), ParquetShardOptions{SeqLen: 8, RunID: "a/b"}); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("run id with '/': %v", err)
	}
	w, err := OpenParquetShardWriter(filepath.Join(dir, "go"), ParquetShardOptions{SeqLen: 8, SetCodec: true,
		Codec: ParquetSnappy, RunID: "go-run-1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParquetPacker(opts, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if err := p.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(`{"origin": "go"}`); err != nil {
		t.Fatal(err)
	}
	if w.RunID() != "go-run-1" {
		t.Fatalf("run id %q", w.RunID())
	}
	// 5 documents + 5 EOS = 25 tokens: 3 full windows of 8 (greedy, no pad: the rest is dropped).
	if w.Windows() != 3 {
		t.Fatalf("windows %d, want 3", w.Windows())
	}
	files, err := w.Files()
	if err != nil || len(files) != 2 || !strings.HasSuffix(files[1].Name, ".manifest.json") {
		t.Fatalf("files %v %v", files, err)
	}
	for _, f := range files {
		st, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil || uint64(st.Size()) != f.Bytes {
			t.Fatalf("%s: listed %d bytes, on disk %v %v", f.Name, f.Bytes, st, err)
		}
	}
	if files[0].Rows != 3 || files[1].Rows != 0 {
		t.Fatalf("rows %d/%d", files[0].Rows, files[1].Rows)
	}
	p.Close()
	w.Close()
	var manifest map[string]interface{}
	mb, _ := os.ReadFile(filepath.Join(dir, files[1].Name))
	if err := json.Unmarshal(mb, &manifest); err != nil || manifest["origin"] != "go" || manifest["run_id"] != "go-run-1" ||
		manifest["format"] != "parquet" {
		t.Fatalf("manifest %s: %v", mb, err)
	}
	// The same ids through the CLI.
	var in strings.Builder
	for _, d := range docs {
		j, _ := json.Marshal(map[string][]uint32{"ids": d})
		in.Write(j)
		in.WriteByte('\n')
	}
	cmd := exec.Command(cli(t), "pack", "-q", "--seq-len", "8", "--eos-id", "0", "--format", "parquet", "-o",
		filepath.Join(dir, "cli"))
	cmd.Stdin = strings.NewReader(in.String())
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("llmdata pack: %v: %s", err, msg)
	}
	ours, err := ReadParquetColumn(filepath.Join(dir, files[0].Name), "input_ids")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := ReadParquetColumn(filepath.Join(dir, "cli-00000.parquet"), "input_ids")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{1, 2, 3, 0, 4, 5, 6, 7}, {8, 0, 9, 0, 10, 11, 12, 13}, {14, 15, 16, 17, 18, 0, 19, 20}}
	if !reflect.DeepEqual(ours.Lists, want) || !reflect.DeepEqual(theirs.Lists, want) {
		t.Fatalf("windows: Go %v, CLI %v, want %v", ours.Lists, theirs.Lists, want)
	}
	// An existing shard is not replaced without Overwrite.
	if _, err := OpenParquetShardWriter(filepath.Join(dir, "go"), ParquetShardOptions{SeqLen: 8}); !errors.Is(err, ErrConflict) {
		t.Fatalf("reopen without overwrite: %v", err)
	}
	w2, err := OpenParquetShardWriter(filepath.Join(dir, "go"), ParquetShardOptions{SeqLen: 8, Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	w2.Close() // unfinished: nothing published, the earlier shard stays
	again, err := ReadParquetColumn(filepath.Join(dir, files[0].Name), "input_ids")
	if err != nil || !reflect.DeepEqual(again.Lists, want) {
		t.Fatalf("earlier shard after an unfinished overwrite: %v %v", again, err)
	}
	if w2.Windows() != 0 || w2.RunID() != "" {
		t.Fatal("closed writer still answers")
	}
	if err := w2.Finish(""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Finish after Close: %v", err)
	}
}

func logNames(t *testing.T, table string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(table, "_delta_log"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".checkpoint.") && strings.HasSuffix(e.Name(), ".parquet") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func scanJSONL(t *testing.T, table string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rows.jsonl")
	if msg, err := exec.Command(cli(t), "delta", "scan", table, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("delta scan %s: %v %s", table, err, msg)
	}
	b, _ := os.ReadFile(out)
	return b
}

// Delta from Go: one-commit writes (idempotent by app id) and checkpoints, against the CLI doing
// the same on a twin table.
func TestDeltaWriteFilesAndCheckpointMatchCLI(t *testing.T) {
	root := repoRoot(t)
	fixture := filepath.Join(root, "tests/data/parquet/duckdb_small.parquet")
	dir := t.TempDir()
	goTable, cliTable := filepath.Join(dir, "go"), filepath.Join(dir, "cli")
	d, err := OpenDeltaTable(goTable)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, err := d.WriteFiles(DeltaWriteOptions{Files: []string{fixture}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("write into a table without a log and without Create: %v", err)
	}
	v, tv, err := d.WriteFiles(DeltaWriteOptions{Files: []string{fixture, fixture}, AppID: "go-job", AppVersion: 3,
		Operation: "STREAMING UPDATE", OperationParametersJSON: `{"mode": "Append"}`, Create: true})
	if err != nil || v < 0 || tv != v {
		t.Fatalf("write: version %d table version %d, %v", v, tv, err)
	}
	if v2, tv2, err := d.WriteFiles(DeltaWriteOptions{Files: []string{fixture}, AppID: "go-job", AppVersion: 3}); err != nil ||
		v2 != -1 || tv2 != v {
		t.Fatalf("rerun of app version 3: version %d table version %d (want -1, %d), %v", v2, tv2, v, err)
	}
	hist, err := exec.Command(cli(t), "delta", "history", goTable, "--limit", "1").Output()
	if err != nil || !strings.Contains(string(hist), "STREAMING UPDATE") || !strings.Contains(string(hist), "Append") {
		t.Fatalf("history: %s %v", hist, err)
	}
	for _, args := range [][]string{{"create", cliTable, "--like", fixture}, {"append", cliTable, fixture, fixture}} {
		if msg, err := exec.Command(cli(t), append([]string{"delta"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("delta %v: %v %s", args, err, msg)
		}
	}
	goRows, cliRows := scanJSONL(t, goTable), scanJSONL(t, cliTable)
	if len(goRows) == 0 || !bytes.Equal(goRows, cliRows) {
		t.Fatalf("rows differ: Go %d bytes, CLI %d bytes", len(goRows), len(cliRows))
	}
	// Checkpoints: two classic parts, the names the protocol gives (and the CLI writes).
	cv, err := d.Checkpoint(DeltaCheckpointOptions{Kind: CheckpointClassic, Parts: 2})
	if err != nil || cv != v {
		t.Fatalf("checkpoint: version %d, %v", cv, err)
	}
	if msg, err := exec.Command(cli(t), "delta", "checkpoint", cliTable, "--classic", "--parts", "2").CombinedOutput(); err != nil {
		t.Fatalf("delta checkpoint: %v %s", err, msg)
	}
	want := []string{
		strings.Repeat("0", 19) + "1.checkpoint.0000000001.0000000002.parquet",
		strings.Repeat("0", 19) + "1.checkpoint.0000000002.0000000002.parquet",
	}
	if g, c := logNames(t, goTable), logNames(t, cliTable); !reflect.DeepEqual(g, want) || !reflect.DeepEqual(c, want) {
		t.Fatalf("checkpoint files: Go %v, CLI %v, want %v", g, c, want)
	}
	var last struct {
		Version int64 `json:"version"`
		Parts   int64 `json:"parts"`
	}
	lb, _ := os.ReadFile(filepath.Join(goTable, "_delta_log", "_last_checkpoint"))
	if err := json.Unmarshal(lb, &last); err != nil || last.Version != v || last.Parts != 2 {
		t.Fatalf("_last_checkpoint %s: %v", lb, err)
	}
	// A table read back from its checkpoint gives the same rows.
	d2, err := OpenDeltaTable(goTable)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	n, err := d2.ScanJSONL(-1, filepath.Join(dir, "after.jsonl"))
	after, _ := os.ReadFile(filepath.Join(dir, "after.jsonl"))
	if err != nil || n == 0 || !bytes.Equal(after, goRows) {
		t.Fatalf("rows after checkpoint: %d, %v", n, err)
	}
	// V2 needs the v2Checkpoint table feature; an unknown kind is refused.
	if _, err := d.Checkpoint(DeltaCheckpointOptions{Kind: CheckpointV2}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("V2 checkpoint on a table without v2Checkpoint: %v", err)
	}
	if _, err := d.Checkpoint(DeltaCheckpointOptions{Kind: 9}); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("unknown checkpoint kind: %v", err)
	}
	if _, err := d.Checkpoint(DeltaCheckpointOptions{Kind: CheckpointClassic, V2Parquet: true}); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("classic with V2Parquet: %v", err)
	}
}
