"""Tests of llmdata.pipeline.  GPT-2 ids: npm tiktoken 1.0.22 gpt2 encode_ordinary (pasted; the same
texts as tests/cli/test_tokenize.sh), EOS 50256 appended per document and packed greedily by hand."""
import json
import os
import tempfile
import unittest

import numpy as np

from llmdata import LlmdError, ParquetFile, Pipeline, load_shard, run_pipeline, verify_output

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))
ROOT = os.path.abspath(os.path.join(SRC, ".."))
GPT2 = os.path.join(ROOT, "examples", "data", "gpt2-tokenizer.json")
SAMPLE = os.path.join(ROOT, "examples", "data", "sample.jsonl")
TEXTS = ["Hello world! café", "It's 2024, isn't it?", "tab\tand\nnewline", "東京 🇫🇷"]
STREAM = [15496, 995, 0, 40304, 50256, 1026, 338, 48609, 11, 2125, 470, 340, 30, 50256,
          8658, 197, 392, 198, 3605, 1370, 50256, 30266, 109, 12859, 105, 12520, 229, 104, 8582, 229, 115, 50256]
OFF = dict(filter=False, clean=False, redact=False, exact_dedup=False, near_dedup=False)


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.d = self._tmp.name
        self.inp = os.path.join(self.d, "in.jsonl")
        with open(self.inp, "w", encoding="utf-8") as f:
            for t in TEXTS:
                f.write(json.dumps({"text": t}) + "\n")

    def tearDown(self):
        self._tmp.cleanup()

    def test_run_npy(self):
        out = os.path.join(self.d, "o")
        rep = run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=out, format="npy", **OFF)
        self.assertEqual(rep["stages"]["pack"]["windows"], 4)
        self.assertEqual(rep["eos_id"], 50256)                    # the tokenizer's <|endoftext|>
        a = np.load(os.path.join(out, "data.npy"))
        self.assertEqual(a.reshape(-1).tolist(), STREAM)
        tokens, bounds, man = load_shard(os.path.join(out, "data"))
        self.assertEqual(tokens.reshape(-1).tolist(), STREAM)
        self.assertEqual(man["report"]["stages"]["pack"]["windows"], 4)
        # boundaries: window starts 0 8 16 24 32 and document starts 5 14 21 (hand)
        self.assertEqual(bounds.tolist(), [0, 5, 8, 14, 16, 21, 24, 32])
        with open(os.path.join(out, "report.json")) as f:
            self.assertEqual(json.load(f)["stages"]["tokenize"]["tokens_out"], 28)

    def test_run_delta(self):
        # the shards committed to a Delta table as one version; a rerun commits nothing; the table's
        # rows are the run's windows (the hand-packed GPT-2 stream above)
        from llmdata import DeltaTable
        table = os.path.join(self.d, "table")
        rep = run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=os.path.join(self.d, "o1"), format="parquet",
                           parquet_file_bytes=1, delta=table, **OFF)
        self.assertEqual((rep["delta"]["committed"], rep["delta"]["version"], rep["delta"]["files"]), (True, 1, 4))
        again = run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=os.path.join(self.d, "o2"), format="parquet",
                             parquet_file_bytes=1, delta=table, **OFF)
        self.assertEqual((again["delta"]["committed"], again["delta"]["version"], again["delta"]["tableVersion"]),
                         (False, None, 1))
        self.assertEqual(again["delta"]["appId"], rep["delta"]["appId"])
        self.assertFalse(os.path.exists(os.path.join(self.d, "o2")))
        t = DeltaTable(table)
        self.assertEqual(t.snapshot().version, 1)
        self.assertEqual(len(t.files()), 4)
        rows = t.scan_rows(columns=["input_ids"])
        self.assertEqual(sorted(tok for r in rows for tok in r["input_ids"]), sorted(STREAM))
        self.assertEqual(sorted(r["input_ids"] for r in rows), sorted(STREAM[i:i + 8] for i in range(0, 32, 8)))
        with self.assertRaises(LlmdError) as cm:
            run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=os.path.join(self.d, "o3"), format="npy",
                         delta=table, **OFF)
        self.assertIn("format parquet", str(cm.exception))

    def test_run_parquet(self):
        out = os.path.join(self.d, "pq")
        # row groups and files of about one window each: 4 windows -> several files
        rep = run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=out, format="parquet",
                           parquet_file_bytes=1, parquet_row_group_bytes=1, **OFF)
        self.assertEqual(rep["format"], "parquet")
        self.assertEqual(rep["stages"]["pack"]["windows"], 4)
        names = sorted(n for n in os.listdir(out) if n.endswith(".parquet"))
        self.assertEqual(names, ["data-%05d.parquet" % i for i in range(4)])
        verify_output(out, checksums=True)
        tokens, bounds, man = load_shard(os.path.join(out, "data"), checksums=True)
        self.assertEqual(man["format"], "parquet")
        self.assertEqual(man["rows"], [1, 1, 1, 1])
        self.assertEqual(tokens.reshape(-1).tolist(), STREAM)
        # the same boundaries as the npy run (hand: window starts and document starts)
        self.assertEqual(bounds.tolist(), [0, 5, 8, 14, 16, 21, 24, 32])
        f = ParquetFile(os.path.join(out, "data-00001.parquet"))
        try:
            # window 1 = tokens 8..15: the end of document 1 (offset 3 of its 9 tokens), document 2
            self.assertEqual(f.read_column("cu_seqlens").to_pylist(), [[0, 6, 8]])
            self.assertEqual(f.read_column("document_ids").to_pylist(), [[1, 2]])
            self.assertEqual(f.read_column("document_offsets").to_pylist(), [[3, 0]])
        finally:
            f.close()
        with open(os.path.join(out, "_llmdata_run.json")) as fh:
            listed = [e["name"] for e in json.load(fh)["files"]]
        self.assertEqual(listed, names + ["data.manifest.json", "report.json"])
        # a changed data file is caught by the run manifest
        with open(os.path.join(out, "data-00002.parquet"), "r+b") as fh:
            fh.seek(10)
            b = fh.read(1)
            fh.seek(10)
            fh.write(bytes([b[0] ^ 1]))
        with self.assertRaises(LlmdError):
            verify_output(out, checksums=True)

    def test_config_file_progress_and_text_report(self):
        cfg = os.path.join(self.d, "c.json")
        out = os.path.join(self.d, "m")
        with open(cfg, "w") as f:
            json.dump(dict(tokenizer=GPT2, seq_len=8, out=out, batch=1, inputs=[self.inp], **OFF), f)
        seen = []
        p = Pipeline(cfg, strategy="best-fit")                    # keywords override the file
        rep = p.run(progress=lambda *a: seen.append(a))
        p.close()
        self.assertEqual(rep["strategy"], "best-fit")
        self.assertEqual(rep["pad_id"], 50256)                    # best-fit pads with EOS by default
        # one call per batch of 1 document, one more at the end (documents read so far)
        self.assertEqual([s[2] for s in seen], [1, 2, 3, 4, 4])
        self.assertTrue(all(s[1] == os.path.getsize(self.inp) for s in seen))
        self.assertEqual(seen[-1][0], os.path.getsize(self.inp))   # everything read
        self.assertEqual(seen[-1][3], 32)                          # 28 ids + 4 EOS
        self.assertIn("llmdata pipeline report", p.report_text)
        # best-fit: documents of 5, 9, 7 and 11 tokens (with EOS); 9 and 11 do not fit 8: split
        self.assertEqual(rep["stages"]["pack"]["docs_truncated"], 2)
        tokens, _, _ = load_shard(os.path.join(out, "data"))
        flat = [t for t in tokens.reshape(-1).tolist()]
        self.assertEqual(sorted(t for t in flat if t != 50256), sorted(t for t in STREAM if t != 50256))

    def test_full_default_pipeline_on_sample(self):
        rep = run_pipeline(SAMPLE, tokenizer=GPT2, seq_len=512, out=os.path.join(self.d, "s"), threads=2)
        st = rep["stages"]
        self.assertEqual(st["read"]["docs_in"], 105)
        self.assertLess(st["filter"]["docs_out"], 105)
        self.assertEqual(sum(r["docs_dropped"] for r in st["filter"]["rules"].values()),
                         st["filter"]["docs_in"] - st["filter"]["docs_out"])
        self.assertEqual(st["pack"]["tokens_in"], st["pack"]["tokens_out"] + st["pack"]["dropped_tokens"])
        self.assertEqual(st["tokenize"]["docs_in"], st["dedup"]["docs_out"])

    def test_rerun_needs_overwrite_and_verifies(self):
        from llmdata import verify_output
        out = os.path.join(self.d, "r")
        run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=out, **OFF)
        before = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
        with self.assertRaises(LlmdError) as cm:
            run_pipeline([self.inp], tokenizer=GPT2, seq_len=16, out=out, **OFF)
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_CONFLICT")
        self.assertEqual(before, {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)})
        rep = run_pipeline([self.inp], tokenizer=GPT2, seq_len=16, out=out, overwrite=True, **OFF)
        self.assertEqual(rep["seq_len"], 16)
        verify_output(out, checksums=True)
        with open(os.path.join(out, "data.idx"), "ab") as f:    # a file of another length
            f.write(b"x")
        with self.assertRaises(LlmdError) as cm:
            verify_output(out)
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_CORRUPT")
        self.assertIn("data.idx", str(cm.exception))
    def test_filter_list(self):
        # the ordered list reaches the filter stage: gopher alone drops by gopher rules only, and a
        # config array is accepted like a comma string
        rep = run_pipeline(SAMPLE, tokenizer=GPT2, seq_len=512, out=os.path.join(self.d, "f"), threads=2,
                           filters=["gopher"], clean=False, redact=False, exact_dedup=False, near_dedup=False)
        f = rep["stages"]["filter"]
        self.assertEqual(f["filters"], "gopher")
        dropped = {k: v["docs_dropped"] for k, v in f["rules"].items() if v["docs_dropped"]}
        self.assertTrue(dropped and all(k.startswith("gopher_") for k in dropped), dropped)
        cfg = os.path.join(self.d, "cfg.json")
        with open(cfg, "w") as fh:
            json.dump({"filters": ["fineweb", "c4"], "tokenizer": GPT2, "seq_len": 512,
                       "out": os.path.join(self.d, "g")}, fh)
        p = Pipeline(config=cfg)
        p.add_input(SAMPLE)
        rep = p.run()
        self.assertEqual(rep["stages"]["filter"]["filters"], "fineweb,c4")
        with self.assertRaises(LlmdError) as cm:
            run_pipeline(SAMPLE, tokenizer=GPT2, seq_len=512, out=os.path.join(self.d, "h"), filters="c4,nope")
        self.assertIn("nope", str(cm.exception))

    def test_errors(self):
        with self.assertRaises(LlmdError) as cm:
            run_pipeline([self.inp], tokenizer=GPT2, out=os.path.join(self.d, "x"))     # no seq_len
        self.assertIn("seq_len", str(cm.exception))
        with self.assertRaises(LlmdError) as cm:
            run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=os.path.join(self.d, "y"), no_such_setting=1)
        self.assertIn("no_such_setting", str(cm.exception))
        bad = os.path.join(self.d, "bad.jsonl")
        with open(bad, "w") as f:
            f.write('{"text": "fine"}\nnot json\n{"other": 1}\n')
        with self.assertRaises(LlmdError) as cm:
            run_pipeline(bad, tokenizer=GPT2, seq_len=8, out=os.path.join(self.d, "b"))
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_PARSE")
        self.assertIn("bad.jsonl:2", str(cm.exception))
        self.assertFalse(os.path.exists(os.path.join(self.d, "b", "data.bin")))
        rep = run_pipeline(bad, tokenizer=GPT2, seq_len=8, out=os.path.join(self.d, "b"), skip_bad=True, **OFF)
        self.assertEqual(rep["stages"]["read"]["bad_lines"], 2)

        def boom(*_):
            raise KeyboardInterrupt
        with self.assertRaises(KeyboardInterrupt):              # raised after the run, not lost in C
            run_pipeline([self.inp], tokenizer=GPT2, seq_len=8, out=os.path.join(self.d, "k"), progress=boom, **OFF)


if __name__ == "__main__":
    unittest.main()
