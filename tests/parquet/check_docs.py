#!/usr/bin/python3
"""Checks a Parquet document output of `llmdata clean|dedup -o X.parquet`, as DuckDB read it, against
the JSONL output of the same run (tests/cli/test_parquet_docs.sh).

  check_docs.py json DUCK_ROWS DUCK_DESCRIBE OUT.jsonl
      JSONL input: the columns must follow the rule documented in examples/llmdata/parquet_out.c,
      computed here from the JSONL output: members in order of first appearance; only booleans ->
      BOOLEAN, only integral numbers within +-2^53 -> BIGINT, only numbers -> DOUBLE, only strings ->
      VARCHAR, anything else -> VARCHAR of each value's JSON text (parsed back, it must equal the
      value); null or missing -> NULL.  Every row must equal its JSONL line under that rule.
  check_docs.py keep DUCK_ROWS DUCK_DESCRIBE IN_ROWS IN_DESCRIBE OUT.jsonl FIELD KEY
      Parquet input: the output has the input's schema (DESCRIBE equal) and its rows are the input's
      rows (matched by column KEY) in the JSONL output's order, with FIELD replaced by that output's text.
DUCK_ROWS files hold DuckDB's `SELECT to_json(t)` rows (duck_sql.mjs: one ["{...}"] per line).
"""
import json
import sys


def fail(msg):
    print("check_docs: " + msg, file=sys.stderr)
    sys.exit(1)


def duck_rows(path):
    return [json.loads(json.loads(l)[0]) for l in open(path, encoding="utf-8")]


def describe(path):
    return [tuple(json.loads(l)[:3]) for l in open(path, encoding="utf-8")]


def kind(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int" if abs(v) <= 2 ** 53 else "double"
    if isinstance(v, float):
        return "int" if v == int(v) and abs(v) <= 2 ** 53 else "double"
    if isinstance(v, str):
        return "string"
    return "other"


def check_json(rows_path, desc_path, jsonl):
    want = [json.loads(l) for l in open(jsonl, encoding="utf-8") if l.strip()]
    keys, kinds = [], {}
    for d in want:
        for k, v in d.items():
            if k not in kinds:
                keys.append(k)
                kinds[k] = set()
            if kind(v):
                kinds[k].add(kind(v))
    def col_type(ks):
        if ks == {"bool"}:
            return "BOOLEAN"
        if ks == {"int"}:
            return "BIGINT"
        if ks and ks <= {"int", "double"}:
            return "DOUBLE"
        return "VARCHAR"
    want_desc = [(k, col_type(kinds[k]), "YES") for k in keys]
    got_desc = describe(desc_path)
    if got_desc != want_desc:
        fail(f"columns {got_desc}, want {want_desc}")
    got = duck_rows(rows_path)
    if len(got) != len(want):
        fail(f"{len(got)} rows, the JSONL output has {len(want)}")
    for i, (g, d) in enumerate(zip(got, want)):
        if list(g) != keys:
            fail(f"row {i}: columns {list(g)}")
        for k in keys:
            v, t = d.get(k), col_type(kinds[k])
            json_text = t == "VARCHAR" and kinds[k] != {"string"} and kinds[k]
            if v is None:
                ok = g[k] is None
            elif json_text:
                ok = isinstance(g[k], str) and json.loads(g[k]) == v
            elif t == "DOUBLE":
                ok = g[k] == float(v)
            else:
                ok = g[k] == v and type(g[k]) == type(v)
            if not ok:
                fail(f"row {i} column {k}: {g[k]!r}, want {v!r} as {t}{' (JSON text)' if json_text else ''}")
    print(f"check_docs: {len(got)} rows, {len(keys)} columns as the rule says")


def check_keep(rows_path, desc_path, in_rows, in_desc, jsonl, field, key):
    if describe(desc_path) != describe(in_desc):
        fail(f"schema {describe(desc_path)} differs from the input's {describe(in_desc)}")
    inputs = {r[key]: r for r in duck_rows(in_rows)}
    want = [json.loads(l) for l in open(jsonl, encoding="utf-8") if l.strip()]
    got = duck_rows(rows_path)
    if len(got) != len(want):
        fail(f"{len(got)} rows, the JSONL output has {len(want)}")
    for i, (g, d) in enumerate(zip(got, want)):
        exp = dict(inputs[d[key]])
        exp[field] = d[field]
        if g != exp:
            fail(f"row {i}: {g}\n  want {exp}")
    print(f"check_docs: {len(got)} of {len(inputs)} input rows kept with the input's schema")


if sys.argv[1] == "json":
    check_json(*sys.argv[2:5])
else:
    check_keep(*sys.argv[2:9])
