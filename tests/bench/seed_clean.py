#!/usr/bin/python3
"""The seed's text-cleaning pass (llm-data-pipelines chapter, `clean_text` pandas UDF body), run
per document on a JSONL corpus (the "text" field of each line) or on a plain-text corpus split into
documents the way tests/bench/bench_text.c splits it (at blank lines, >= 4096 bytes per document).
Prints one line: "seed_clean MB/s <value> docs <n> ..."; MB are UTF-8 bytes of document text.

The regexes and the order of operations are copied from the seed verbatim:
HTML_TAG_RE -> " ", unicodedata.normalize("NFC"), EMAIL_RE -> "[EMAIL]", PHONE_RE -> "[PHONE]",
MULTI_SPACE_RE -> " " and strip().  Only the Spark/pandas wrapper is left out (it adds overhead,
so this is the seed's best case)."""
import json
import re
import sys
import time
import unicodedata

EMAIL_RE = re.compile(r"[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+")
PHONE_RE = re.compile(r"\b(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b")
HTML_TAG_RE = re.compile(r"<[^>]+>")
MULTI_SPACE_RE = re.compile(r"\s+")


def _clean(text: str) -> str:
    if not isinstance(text, str):
        return ""
    # Strip HTML tags
    text = HTML_TAG_RE.sub(" ", text)
    # Normalize Unicode to NFC form
    text = unicodedata.normalize("NFC", text)
    # Redact PII
    text = EMAIL_RE.sub("[EMAIL]", text)
    text = PHONE_RE.sub("[PHONE]", text)
    # Collapse whitespace
    text = MULTI_SPACE_RE.sub(" ", text).strip()
    return text


def split_docs(data: bytes):
    docs, start, i = [], 0, 0
    while True:
        i = data.find(b"\n\n", i)
        if i < 0:
            break
        if i + 2 - start >= 4096:
            docs.append(data[start:i + 2])
            start = i + 2
        i += 1
    if start < len(data):
        docs.append(data[start:])
    return docs


def load_docs(path):
    """The documents as str: JSONL "text" fields, or a text file split like bench_text.c."""
    if ".jsonl" in path:
        docs = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    docs.append(json.loads(line)["text"])
        return docs
    data = open(path, "rb").read()
    return [d.decode("utf-8", "replace") for d in split_docs(data)]


def main():
    if len(sys.argv) < 2:
        print("usage: seed_clean.py CORPUS.jsonl|CORPUS.txt [REPEATS]", file=sys.stderr)
        return 2
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    docs = load_docs(sys.argv[1])
    size = sum(len(d.encode("utf-8", "surrogatepass")) for d in docs)
    best = best_cpu = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = [_clean(d) for d in docs]
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best = dt if best is None else min(best, dt)
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
    print(f"seed_clean MB/s {size / 1e6 / best:.1f} docs {len(docs)} seconds {best:.3f} "
          f"bytes_out {sum(len(o.encode()) for o in out)} cpu_seconds {best_cpu:.3f} "
          f"cpu_MB/s {size / 1e6 / best_cpu:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
