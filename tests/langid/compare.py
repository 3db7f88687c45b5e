#!/usr/bin/env python3
"""Compares `llmdata langid -k K` output with the WASM fastText peer's (peer_predict.mjs --k K).

    compare.py OURS.jsonl PEER.jsonl [--tol 1e-4]

Per document: the top label must be identical and its probability within --tol; every further
label of the peer's top K must be ours too, in the same place, with its probability within --tol,
except where two of the peer's probabilities are within --tol of each other (a tie: which of the
tied labels fastText keeps and in what order depends on the C++ library's heap algorithm --
libc++ in the WASM build, libstdc++ in Linux builds -- while llmdata orders ties by label id).
With K = 1 ties are no excuse: fastText and llmdata both keep the last label reached among equal
scores, so the label must be identical.  Prints a summary; exits 1 on any difference (the first
10 are shown).
"""
import json
import sys


def ours_preds(doc):
    if doc.get("language") is None:
        return [], []
    if "language_predictions" in doc:
        p = doc["language_predictions"]
        return [x["language"] for x in p], [x["score"] for x in p]
    return [doc["language"]], [doc["language_score"]]


def main():
    args = sys.argv[1:]
    tol = 1e-4
    if "--tol" in args:
        i = args.index("--tol")
        tol = float(args[i + 1])
        del args[i:i + 2]
    ours = [json.loads(l) for l in open(args[0], encoding="utf-8") if l.strip()]
    peer = [json.loads(l) for l in open(args[1], encoding="utf-8") if l.strip()]
    if len(ours) != len(peer):
        print(f"compare: {len(ours)} documents ours, {len(peer)} peer's")
        return 1
    bad, top_ok, full_ok, max_diff = [], 0, 0, 0.0
    for n, (o, p) in enumerate(zip(ours, peer)):
        ol, op = ours_preds(o)
        pl, pp = p["labels"], p["probs"]
        doc = o.get("id", n)
        if not pl or not ol:
            if pl or ol:
                bad.append(f"{doc}: ours {ol} peer {pl}")
            else:
                top_ok += 1
                full_ok += 1
            continue
        d = abs(op[0] - pp[0])
        max_diff = max(max_diff, d)
        top_tie = len(pp) > 1 and abs(pp[0] - pp[1]) <= tol
        if (ol[0] != pl[0] and not top_tie) or d > tol:
            bad.append(f"{doc}: top ours {ol[0]} {op[0]} peer {pl[0]} {pp[0]}")
            continue
        top_ok += 1
        same = len(ol) == len(pl)
        for i in range(1, min(len(ol), len(pl))):
            max_diff = max(max_diff, abs(op[i] - pp[i]))
            tie = abs(pp[i] - pp[i - 1]) <= tol or (i + 1 < len(pp) and abs(pp[i] - pp[i + 1]) <= tol)
            if abs(op[i] - pp[i]) > tol or (ol[i] != pl[i] and not tie):
                same = False
        if same:
            full_ok += 1
        else:
            bad.append(f"{doc}: ours {list(zip(ol, op))} peer {list(zip(pl, pp))}")
    n = len(ours)
    print(f"compare: {n} documents, top label+probability identical on {top_ok}, all top-k on {full_ok}, "
          f"max |p - p_peer| {max_diff:.3g}")
    for b in bad[:10]:
        print("  " + b)
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
