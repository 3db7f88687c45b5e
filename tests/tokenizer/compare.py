#!/usr/bin/env python3
"""Compares expected ids (peer_encode.mjs output) with ours (llmdata tokenize output).

usage: compare.py EXPECTED.jsonl ACTUAL.jsonl [--label NAME]
Both files: one JSON object per document, in the same order, each with "ids" (ours may carry every
other field too).  Prints the number compared and identical, and for the first mismatches the
document id, the first differing position and a window of expected vs actual ids.  Exit 1 on any
mismatch or count difference.
"""
import json
import sys


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    label = sys.argv[sys.argv.index("--label") + 1] if "--label" in sys.argv else ""
    if label:
        args = [a for a in args if a != label]
    exp_path, act_path = args[:2]
    with open(exp_path, encoding="utf-8") as fe, open(act_path, encoding="utf-8") as fa:
        exp = [json.loads(l) for l in fe if l.strip()]
        act = [json.loads(l) for l in fa if l.strip()]
    same = 0
    shown = 0
    for i, (e, a) in enumerate(zip(exp, act)):
        if e["ids"] == a.get("ids"):
            same += 1
            continue
        if shown < 5:
            shown += 1
            ei, ai = e["ids"], a.get("ids") or []
            k = next((j for j in range(min(len(ei), len(ai))) if ei[j] != ai[j]), min(len(ei), len(ai)))
            print(f"  mismatch doc {e.get('id', i + 1)}: first difference at token {k} "
                  f"(expected {len(ei)} ids, got {len(ai)})\n"
                  f"    expected ...{ei[max(0, k - 3):k + 6]}\n    actual   ...{ai[max(0, k - 3):k + 6]}")
    ok = same == len(exp) == len(act)
    print(f"{label + ': ' if label else ''}{same}/{len(exp)} documents identical"
          + ("" if len(exp) == len(act) else f" (expected {len(exp)} documents, got {len(act)})"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
