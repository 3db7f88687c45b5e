#!/usr/bin/python3
"""Near-duplicate test set with known truth (stdlib only).

    build_set.py CORPUS.jsonl OUT.tsv [--bases N] [--copies K] [--unrelated U] [--seed S]
                 [--min-words A] [--max-words B]

Base documents are real corpus documents (their first B words, at least A words; documents are
taken in a seeded random order, skipping any base whose exact word-5-gram Jaccard with an earlier
chosen base is >= 0.5, so that bases are not near duplicates of each other).  Each base gets K
edited copies: every word independently, with probability p, is substituted (a word from another
base), deleted, or followed by an inserted word (1/3 each); p is drawn per copy uniformly from
[0, 0.06], which puts the copies' true Jaccard on both sides of 0.8.  Case noise (random words
upper-cased or capitalised) and white-space noise (doubled spaces, line breaks) are added too; the
documented folding removes them, so they must not lower the similarity.  U unrelated documents
(further corpus documents) are added.  Documents are shuffled (seeded).

Truth is computed here, independently of llmdata: exact Jaccard of the word 5-gram sets (words =
runs of Unicode letters/marks/numbers, lower-cased, as documented in include/llmdata/dedup.h).
OUT.tsv columns: id, truth_dup_of (id of the earliest EARLIER document with Jaccard >= 0.8, or -),
truth_jaccard (that Jaccard, or the highest Jaccard with any earlier document), group (base id
or "u<N>"), text (tabs and line breaks written as \\t and \\n)."""
import argparse
import json
import random
import sys
import unicodedata


def words(text):
    out, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            lo = ch.lower()
            cur.append(lo if len(lo) == 1 else ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def shingle_set(text, n=5):
    w = words(text)
    if not w:
        return frozenset()
    if len(w) < n:
        return frozenset([" ".join(w)])
    return frozenset(" ".join(w[k:k + n]) for k in range(len(w) - n + 1))


def jaccard(a, b):
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def edit(rng, toks, p, vocab):
    out = []
    for t in toks:
        if rng.random() < p:
            op = rng.randrange(3)
            if op == 0:
                out.append(rng.choice(vocab))
            elif op == 1:
                continue
            else:
                out.append(t)
                out.append(rng.choice(vocab))
            continue
        out.append(t)
    # case and white-space noise (folded away by the documented rules)
    noisy = []
    for t in out:
        r = rng.random()
        if r < 0.05:
            t = t.upper()
        elif r < 0.10:
            t = t.capitalize()
        noisy.append(t)
        sep = rng.random()
        noisy.append("  " if sep < 0.05 else "\n" if sep < 0.08 else " ")
    return "".join(noisy).strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--bases", type=int, default=200)
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--unrelated", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-words", type=int, default=80)
    ap.add_argument("--max-words", type=int, default=400)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    docs = []
    with open(a.corpus, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            toks = d.get("text", "").split()
            if len(toks) >= a.min_words:
                docs.append(toks[:a.max_words])
    rng.shuffle(docs)
    bases, base_sets, rest = [], [], []
    for toks in docs:
        if len(bases) < a.bases:
            s = shingle_set(" ".join(toks))
            if all(jaccard(s, o) < 0.5 for o in base_sets):
                bases.append(toks)
                base_sets.append(s)
            continue
        rest.append(toks)
    vocab = [t for b in bases for t in b]
    items = []
    for i, toks in enumerate(bases):
        gid = "b%d" % i
        items.append((gid, " ".join(toks)))
        for c in range(a.copies):
            p = rng.uniform(0.0, 0.06)
            items.append((gid, edit(rng, toks, p, vocab)))
    unrelated = 0
    for toks in rest:
        if unrelated >= a.unrelated:
            break
        s = shingle_set(" ".join(toks))
        items.append(("u%d" % unrelated, " ".join(toks)))
        unrelated += 1
    rng.shuffle(items)
    sets = [shingle_set(t) for _, t in items]
    # inverted index: candidate earlier documents sharing a shingle
    post = {}
    rows = []
    for i, (g, t) in enumerate(items):
        counts = {}
        for sh in sets[i]:
            for j in post.get(sh, ()):
                counts[j] = counts.get(j, 0) + 1
        dup_of, best = "-", 0.0
        for j in sorted(counts):
            inter = counts[j]
            jac = inter / (len(sets[i]) + len(sets[j]) - inter)
            if jac >= 0.8 and dup_of == "-":
                dup_of, best = "d%d" % j, jac
            elif dup_of == "-" and jac > best:
                best = jac
        for sh in sets[i]:
            post.setdefault(sh, []).append(i)
        esc = t.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        rows.append("d%d\t%s\t%.6f\t%s\t%s\n" % (i, dup_of, best, g, esc))
    with open(a.out, "w", encoding="utf-8") as f:
        f.writelines(rows)
    ndup = sum(1 for r in rows if r.split("\t")[1] != "-")
    print("build_set: %d documents (%d bases x %d copies, %d unrelated), %d true duplicates"
          % (len(items), len(bases), a.copies, unrelated, ndup), file=sys.stderr)


if __name__ == "__main__":
    main()
