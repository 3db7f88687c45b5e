#!/usr/bin/python3
"""Precision/recall of the removed set against build_set.py's truth (stdlib only).

    measure.py SET.tsv REPORT.jsonl
REPORT.jsonl is `llmdata dedup --report` output for SET.tsv's documents in order (ids "d<N>").
Truth: a document is a duplicate iff some EARLIER document has exact word-5-gram Jaccard >= 0.8.
Also checks that no cluster was wiped out: every removed document's "kept" document must itself be
kept (present in the output), and prints the errors by true-Jaccard bucket."""
import json
import sys


def main():
    rows = {}
    order = []
    for line in open(sys.argv[1], encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        rows[f[0]] = (f[1] != "-", float(f[2]), f[3])
        order.append(f[0])
    removed = {}
    for line in open(sys.argv[2], encoding="utf-8"):
        r = json.loads(line)
        removed[r["id"]] = r
    tp = sum(1 for i in removed if rows[i][0])
    fp = len(removed) - tp
    fn = sum(1 for i, v in rows.items() if v[0] and i not in removed)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    wiped = [i for i, r in removed.items() if r["kept"] in removed or r["kept"] not in rows]
    buckets = {}
    for i, (truth, jac, _) in rows.items():
        pred = i in removed
        if truth != pred:
            b = "%.2f" % (int(jac * 20) / 20)
            buckets.setdefault(b, [0, 0])[0 if pred else 1] += 1
    print("documents %d, true duplicates %d, removed %d: tp %d fp %d fn %d, precision %.4f recall %.4f, "
          "removed pointing to a removed/unknown kept document: %d" % (len(rows), tp + fn, len(removed), tp, fp, fn, p, r,
                                                              len(wiped)))
    print("errors by true Jaccard bucket (fp, fn):", dict(sorted(buckets.items())))
    return 0 if not wiped else 1


if __name__ == "__main__":
    sys.exit(main())
