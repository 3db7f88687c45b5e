#!/usr/bin/python3
"""The Python binding's cost, per document, beside the seed's function in the same process:
   text_py_bench.py CORPUS.jsonl|CORPUS.txt [REPEATS]
times the seed's clean_text (seed_clean.py) over every document, then
Redactor().redact_batch(docs, threads=1, clean=True) (default results: str + character offsets)
and with offsets="byte", as_bytes=True (bytes + byte offsets), best of REPEATS (default 3).  MB are
UTF-8 bytes of document text.  Needs the built library (LLMDATA_LIBRARY or PYTHONPATH set up as
text_bench.sh does)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed_clean  # noqa: E402
import llmdata  # noqa: E402


def best_of(repeats, fn):
    """(best wall seconds, best CPU seconds, last result)."""
    best = best_cpu = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best = dt if best is None else min(best, dt)
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
    return best, best_cpu, out


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    docs = seed_clean.load_docs(sys.argv[1])
    mb = sum(len(d.encode("utf-8", "surrogatepass")) for d in docs) / 1e6
    r = llmdata.Redactor()
    seed_s, seed_c, _ = best_of(repeats, lambda: [seed_clean._clean(d) for d in docs])
    py_s, py_c, res = best_of(repeats, lambda: r.redact_batch(docs, threads=1, clean=True))
    raw_s, raw_c, _ = best_of(repeats, lambda: r.redact_batch(docs, threads=1, clean=True, offsets="byte",
                                                              as_bytes=True))
    spans = sum(len(s) for _, s in res)
    print(f"python docs {len(docs)} MB {mb:.1f} spans {spans}")
    print(f"seed_clean (same process)        {mb / seed_s:8.1f} MB/s  ({seed_s:.3f} s; CPU {seed_c:.3f} s)")
    print(f"redact_batch clean=True          {mb / py_s:8.1f} MB/s  ({py_s:.3f} s; CPU {py_c:.3f} s)  "
          f"{seed_s / py_s:.1f}x seed (CPU {seed_c / py_c:.1f}x)")
    print(f"  offsets='byte', as_bytes=True  {mb / raw_s:8.1f} MB/s  ({raw_s:.3f} s; CPU {raw_c:.3f} s)  "
          f"{seed_s / raw_s:.1f}x seed (CPU {seed_c / raw_c:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
