#!/usr/bin/env python3
"""Builds docs.jsonl: 400 documents of token ids with a mix of lengths (mostly 5..300 tokens, one in
ten 300..1500), deterministic (random.Random(7)).  ids are below 50000.  Usage: make_docs.py > docs.jsonl"""
import json
import random

rng = random.Random(7)
for d in range(400):
    n = rng.randint(300, 1500) if rng.random() < 0.1 else rng.randint(5, 300)
    print(json.dumps({"id": d, "ids": [rng.randrange(3, 50000) for _ in range(n)]}, separators=(",", ":")))
