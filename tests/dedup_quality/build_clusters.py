#!/usr/bin/python3
"""Near-duplicate CLUSTER test set with known truth (stdlib only), as issue 14 describes.

    build_clusters.py CORPUS.jsonl OUT.tsv [--bases N] [--unrelated U] [--seed S]
                      [--min-words A] [--max-words B] [--min-jaccard J] [--max-jaccard K]
                      [--near-miss F] [--near-min L] [--near-max M]

Base documents are real corpus documents (their first B words, at least A words), taken in a seeded
random order, skipping any whose exact word-5-gram Jaccard with a chosen base is > 0.2.  Each base
gets 1 to 4 edited copies (a cluster of 2 to 5 documents): every word independently, with
probability p, is substituted (a word from another base), deleted, or followed by an inserted word
(1/3 each), plus case and white-space noise that the documented folding removes.  A copy is kept
only if its exact Jaccard with its base is in [J, K] (default [0.85, 1]); p is drawn per copy so that most
copies land in [J, J + 0.07], where two copies of one base are often BELOW 0.8 to each other: the
chains copy - base - copy that one-pass dedup cannot join when the base comes last.  A fraction F
(default 0.5) of the bases also get a NEAR MISS: an edited copy whose Jaccard with the base is in
[L, M] (default [0.65, 0.78]), just under the threshold, where a MinHash estimate errs.  U unrelated
corpus documents are added; any document whose Jaccard with a document of another cluster is above
0.35 is dropped (unrelated documents are <= 0.35 to everything).  Documents are shuffled (seeded).

Truth is computed here, independently of llmdata: words = runs of Unicode letters/marks/numbers,
lower-cased, shingles = word 5-grams, as documented in include/llmdata/dedup.h.  The true clusters
are the connected components of "exact Jaccard >= --threshold (0.8)" over all documents (every pair
sharing a shingle is compared), i.e. exactly what whole-corpus dedup should find.
OUT.tsv columns: id ("d<N>", N = position), cluster ("c<K>", K = its first document), cluster size,
text (tabs and line breaks written as \\t and \\n).
Statistics on stderr: clusters by size, copy-base Jaccard range, chains (pairs of copies of one base
below 0.8 to each other)."""
import argparse
import json
import random
import sys


# The generator of the pairwise set: the same word rules, shingles, Jaccard and edits.
from build_set import edit, jaccard, shingle_set  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--bases", type=int, default=100)
    ap.add_argument("--unrelated", type=int, default=150)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--min-words", type=int, default=60)
    ap.add_argument("--max-words", type=int, default=120)
    ap.add_argument("--min-jaccard", type=float, default=0.85)
    ap.add_argument("--near-miss", type=float, default=0.5)
    ap.add_argument("--max-jaccard", type=float, default=1.0, help="copies above this are redrawn")
    ap.add_argument("--near-min", type=float, default=0.65)
    ap.add_argument("--near-max", type=float, default=0.78)
    ap.add_argument("--threshold", type=float, default=0.8)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    docs = []
    with open(a.corpus, encoding="utf-8") as f:
        for line in f:
            toks = json.loads(line).get("text", "").split()
            if len(toks) >= a.min_words:
                docs.append(toks[:a.max_words])
    rng.shuffle(docs)
    bases, base_sets, rest = [], [], []
    for toks in docs:
        s = shingle_set(" ".join(toks))
        if len(bases) < a.bases:
            if all(jaccard(s, o) <= 0.2 for o in base_sets):
                bases.append(toks)
                base_sets.append(s)
            continue
        rest.append((toks, s))
    vocab = [t for b in bases for t in b]
    items = []   # (group, text, set)
    copy_j = []
    chains = 0
    for i, toks in enumerate(bases):
        gid = "b%d" % i
        base_text = " ".join(toks)
        members = [(gid, base_text, base_sets[i])]
        want = rng.randint(1, 4)
        tries = 0
        while len(members) < want + 1 and tries < 200:
            tries += 1
            # an edit changes ~5 shingles: p in [0.015, 0.03] puts the accepted copies mostly in [0.85, 0.92]
            t = edit(rng, toks, rng.uniform(0.015, 0.03), vocab)
            s = shingle_set(t)
            j = jaccard(s, base_sets[i])
            if a.min_jaccard <= j <= a.max_jaccard:
                members.append((gid, t, s))
                copy_j.append(j)
        if rng.random() < a.near_miss:
            for _ in range(400):
                t = edit(rng, toks, rng.uniform(0.03, 0.07), vocab)
                s = shingle_set(t)
                if a.near_min <= jaccard(s, base_sets[i]) <= a.near_max:
                    items.append((gid, t, s))
                    break
        for x in range(1, len(members)):
            for y in range(x + 1, len(members)):
                chains += jaccard(members[x][2], members[y][2]) < 0.8
        items.extend(members)
    for k, (toks, s) in enumerate(rest[:a.unrelated]):
        items.append(("u%d" % k, " ".join(toks), s))
    # documents above 0.35 to a document of another group are dropped (inverted index over shingles)
    post = {}
    for idx, (_, _, s) in enumerate(items):
        for sh in s:
            post.setdefault(sh, []).append(idx)
    drop = set()
    for idx, (g, _, s) in enumerate(items):
        counts = {}
        for sh in s:
            for o in post[sh]:
                if o != idx and items[o][0] != g:
                    counts[o] = counts.get(o, 0) + 1
        for o, inter in counts.items():
            if inter / (len(s) + len(items[o][2]) - inter) > 0.35:
                drop.add(max(idx, o))
    items = [it for k, it in enumerate(items) if k not in drop]
    rng.shuffle(items)
    # truth: connected components of exact Jaccard >= threshold (union-find, smallest root)
    parent = list(range(len(items)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    post = {}
    for idx, (_, _, s) in enumerate(items):
        for sh in s:
            post.setdefault(sh, []).append(idx)
    for idx, (_, _, s) in enumerate(items):
        counts = {}
        for sh in s:
            for o in post[sh]:
                if o < idx:
                    counts[o] = counts.get(o, 0) + 1
        for o, inter in counts.items():
            if inter / (len(s) + len(items[o][2]) - inter) >= a.threshold:
                ra, rb = find(idx), find(o)
                parent[max(ra, rb)] = min(ra, rb)
    roots = [find(k) for k in range(len(items))]
    size = {}
    for r in roots:
        size[r] = size.get(r, 0) + 1
    with open(a.out, "w", encoding="utf-8") as f:
        for n, (g, t, _) in enumerate(items):
            esc = t.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            f.write("d%d\tc%d\t%d\t%s\n" % (n, roots[n], size[roots[n]], esc))
    hist = {}
    for z in size.values():
        hist[z] = hist.get(z, 0) + 1
    dups = sum(z - 1 for z in size.values())
    print("build_clusters: %d documents, true clusters by size %s, %d to remove; copy-base Jaccard "
          "%.3f..%.3f; %d copy pairs below %.2f to each other (chains); %d dropped as too close to another group"
          % (len(items), dict(sorted(hist.items())), dups, min(copy_j), max(copy_j), chains, a.threshold, len(drop)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
