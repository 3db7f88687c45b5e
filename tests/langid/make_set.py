#!/usr/bin/env python3
"""Builds a multilingual JSONL set from the translated message catalogues of this machine
(/usr/share/locale/*/LC_MESSAGES/*.mo, decoded with Python's gettext), reproducibly: the same
catalogues give the same set, byte for byte.

    make_set.py [--root /usr/share/locale] [--per-locale N] [--min-chars N] OUT.jsonl

Each line: {"id": "<locale>/<domain>/<n>", "locale": "<locale>", "text": "<translation>"}.
Per locale, the translations (msgstr, plural forms included) of at least --min-chars characters
that differ from their msgid are pooled over all domains, de-duplicated, and --per-locale of them
are taken in the order of the SHA-256 of their text (a stable spread over domains, not the first
catalogue's strings).  Texts keep their newlines and format markers: predicting on them with
newlines read as spaces is part of what is compared.  Prints a one-line summary on stderr; exits
1 when fewer than 2 locales or 50 texts were found (too small a set to compare on).
"""
import argparse
import gettext
import glob
import hashlib
import json
import os
import sys


def translations(path):
    """Every msgstr of a .mo file (plural forms included) with its msgid, via gettext."""
    with open(path, "rb") as f:
        try:
            cat = gettext.GNUTranslations(f)._catalog
        except Exception:  # a malformed catalogue: skip it, as a user's tool would
            return
    for key, value in cat.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid == "":  # the header entry
            continue
        yield msgid, value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--root", default="/usr/share/locale")
    ap.add_argument("--per-locale", type=int, default=12)
    ap.add_argument("--min-chars", type=int, default=24)
    a = ap.parse_args()

    by_locale = {}
    for path in sorted(glob.glob(os.path.join(a.root, "*", "LC_MESSAGES", "*.mo"))):
        locale = path[len(a.root):].lstrip("/").split("/")[0]
        domain = os.path.basename(path)[:-3]
        pool = by_locale.setdefault(locale, {})
        for msgid, text in translations(path):
            if len(text.strip()) < a.min_chars or text == msgid or "\x00" in text:
                continue
            pool.setdefault(text, domain)

    docs = []
    for locale in sorted(by_locale):
        pool = by_locale[locale]
        ranked = sorted(pool, key=lambda t: hashlib.sha256(t.encode("utf-8")).hexdigest())
        for n, text in enumerate(ranked[: a.per_locale]):
            docs.append({"id": f"{locale}/{pool[text]}/{n}", "locale": locale, "text": text})

    with open(a.out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    locales = len({d["locale"] for d in docs})
    print(f"make_set: {len(docs)} texts from {locales} locales under {a.root}", file=sys.stderr)
    return 0 if locales >= 2 and len(docs) >= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
