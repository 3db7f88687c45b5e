#!/usr/bin/python3
"""datatrove's filters timed on the same documents as bench_filter (the peer side of filter_bench.sh).

usage: /usr/bin/python3 tests/bench/datatrove_filters_ref.py DATATROVE_CHECKOUT CORPUS.jsonl SETS
Prints "  SET  X MB/s" per ';'-separated filter set (filters of a set run in order on each document,
as a datatrove pipeline would: a drop ends the document, C4's rewritten text goes on), MB/s of input
text per second of this thread's CPU time, one thread.  The filters are set up as in
tests/filter/datatrove_agreement.py (NLTK word tokenizer with untrained punkt)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "filter"))
import datatrove_agreement as da  # noqa: E402


def main():
    checkout, corpus, sets = sys.argv[1], sys.argv[2], sys.argv[3]
    texts = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    Document, filters = da.load_datatrove(checkout)
    print("datatrove: %d documents, %.1f MB of text, one thread" % (len(texts), mb))
    for s in sets.split(";"):
        chain = [filters[name] for name in s.split(",")]
        t0 = time.thread_time()
        kept = 0
        for i, t in enumerate(texts):
            d = Document(text=t, id=str(i), metadata={})
            ok = True
            for f in chain:
                try:
                    r = f.filter(d)
                except ZeroDivisionError:
                    r = True
                if not (r[0] if isinstance(r, tuple) else r):
                    ok = False
                    break
            kept += ok
        dt = time.thread_time() - t0
        print("  %-48s %8.2f MB/s  kept %d/%d" % (s, mb / dt, kept, len(texts)))


if __name__ == "__main__":
    main()
