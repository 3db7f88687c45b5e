#!/usr/bin/python3
"""Precision/recall of the removed set against build_clusters.py's truth (stdlib only).

    measure_clusters.py SET.tsv KEPT.jsonl [KEPT2.jsonl ...]
KEPT.jsonl is `llmdata dedup` output for SET.tsv's documents (ids "d<N>").  A cluster of k documents
should lose k - 1 of them and keep one; an unrelated document should be kept.  Per cluster with
kept_g documents kept: true removals k - max(kept_g, 1), a false removal when kept_g = 0 (the
cluster was wiped out: one of its documents should have stayed), missed removals kept_g - 1.  A
removed unrelated document is a false removal.  Exit status 1 if a cluster was wiped out.
With several outputs (e.g. shuffled orders), prints each and whether the removal counts agree."""
import json
import sys


def measure(truth, kept_path):
    kept = set()
    for line in open(kept_path, encoding="utf-8"):
        kept.add(json.loads(line)["id"])
    groups = {}
    for doc, (g, k) in truth.items():
        groups.setdefault(g, [k, 0])[1] += doc in kept
    tp = fp = fn = wiped = 0
    for g, (k, kg) in groups.items():
        tp += k - max(kg, 1)
        if kg == 0:
            fp += 1
            wiped += 1
        else:
            fn += kg - 1
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    removed = len(truth) - len(kept & set(truth))
    print("%s: documents %d, removed %d (should be %d): precision %.4f recall %.4f, clusters wiped out %d"
          % (kept_path, len(truth), removed, tp + fn, p, r, wiped))
    return removed, p, r, wiped


def main():
    truth = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        truth[f[0]] = (f[1], int(f[2]))
    res = [measure(truth, k) for k in sys.argv[2:]]
    if len(res) > 1:
        print("removal counts %s: %s" % ([r[0] for r in res], "equal" if len({r[0] for r in res}) == 1 else "DIFFER"))
    return 1 if any(r[3] for r in res) else 0


if __name__ == "__main__":
    sys.exit(main())
