#!/usr/bin/python3
"""Builds examples/data/sample.jsonl from redistributable text installed on a Debian 12 machine
plus hand-written documents with planted *fake* PII (see README.md for every source and licence).

Run from the repository root:  /usr/bin/python3 examples/data/make_sample.py > examples/data/sample.jsonl
The output is committed; this script documents how it was made (its input files are Debian
package documentation, so regenerating elsewhere needs the same packages installed)."""
import gzip
import json
import re
import sys

docs = []


def add(text, source, kind):
    docs.append({"id": f"s{len(docs):04d}", "text": text, "source": source, "kind": kind})


def sections(html, tag):
    parts = re.split(rf"(?=<{tag}[ >])", html)
    return [p for p in parts if p.startswith(f"<{tag}")]


# 1. Expat reference manual (MIT licence): HTML sections.
EXPAT = "/usr/share/doc/libexpat1-dev/expat.html/reference.html"
expat = open(EXPAT, encoding="utf-8").read()
n = 0
for sec in sections(expat, "h3"):
    sec = sec[:6000]
    if len(sec) < 600:
        continue
    add(sec, f"file://{EXPAT} (Expat reference, MIT licence)", "html")
    n += 1
    if n >= 24:
        break

# 2. SQLite release history (public domain): the page head + recent releases as HTML.
SQLITE = "/usr/share/doc/sqlite3/changelog.html.gz"
sq = gzip.open(SQLITE, "rt", encoding="utf-8").read()
head, _, rest = sq.partition("<h3>")
rels = sections("<h3>" + rest, "h3")
add(head[-3000:] + rels[0], f"file://{SQLITE} (SQLite release history, public domain)", "html")
for r in rels[1:24]:
    add(r[:5000], f"file://{SQLITE} (SQLite release history, public domain)", "html")

# 3. Python language reference topics (PSF License 2.0): plain text.
sys.path.insert(0, "/usr/lib/python3.11")
from pydoc_data import topics  # noqa: E402

for name in sorted(topics.topics):
    t = topics.topics[name]
    if 800 <= len(t) <= 5000 and len([d for d in docs if d["kind"] == "text"]) < 26:
        add(t, f"Python 3.11 pydoc_data/topics.py '{name}' (Python Software Foundation License 2.0; "
               "Copyright (c) 2001-2023 Python Software Foundation)", "text")

# 4. READMEs (Markdown) of permissively licensed libraries, split at level-2 headings.
READMES = [
    ("/usr/share/doc/libcjson-dev/README.md.gz", "cJSON README (MIT licence)"),
    ("/usr/share/doc/zstd/README.md.gz", "Zstandard README (BSD-3-Clause licence)"),
    ("/usr/share/doc/libutf8proc2/README.md.gz", "utf8proc README (MIT licence)"),
]
for path, what in READMES:
    txt = gzip.open(path, "rt", encoding="utf-8").read()
    k = 0
    for part in re.split(r"\n(?=## )", txt):
        if 400 <= len(part) <= 6000 and k < 5:
            add(part, f"file://{path} ({what})", "markdown")
            k += 1

# 5. Hand-written web-ish documents with planted FAKE PII (this project's licence, MIT).
PLANTED = [
    ("<html><head><title>Contact - Example Widgets</title><style>body{font:14px sans-serif}</style></head>"
     "<body><nav><a href='/'>Home</a> | <a href='/shop'>Shop</a></nav><div class=\"contact\"><h2>Contact us</h2>"
     "<p>Questions about your order? Write to <a href=\"mailto:support@example.com\">support@example.com</a> "
     "or call us on (202) 555-0143, Monday&ndash;Friday 9&nbsp;am&ndash;5&nbsp;pm.</p>"
     "<p>Our UK office: +44 20 7946 0958 &middot; Sydney: +61 2 5550 4477</p></div>"
     "<script>var t = 'track'; window.dataLayer = [];</script><footer>&copy; 2024 Example Widgets Ltd.</footer></body></html>"),
    ("Subject: Re: cannot log in\n\nHi team,\n\nsince yesterday I get 'access denied' when I connect from 203.0.113.42 "
     "(office) and from 198.51.100.7 (home, behind NAT). The VPN gives me 2001:db8:85a3::8a2e:370:7334 and then "
     "it works. Our admin is jane.roe@example.org if you need more details; my direct line is 202-555-0187.\n\n"
     "Version 4.2.1 of the client, build 2024.03.15.\n\nThanks,\nJohn"),
    ("<div class='receipt'><h1>Order #100482</h1><table><tr><td>Item</td><td>Price</td></tr>"
     "<tr><td>USB-C cable (2 m)</td><td>$12.99</td></tr><tr><td>Total</td><td>$1,012.99</td></tr></table>"
     "<p>Paid with Visa ending 4242 &mdash; card number on file: 4242 4242 4242 4242, exp 12/34.</p>"
     "<p>Refunds go to IBAN GB82 WEST 1234 5698 7654 32 (account holder: J. Roe).</p></div>"),
    ("Employee onboarding form (SAMPLE - not real data)\nName: Jane Roe\nSSN: 078-05-1120\n"
     "Spouse SSN: 219-09-9999\nDate of birth: 1980-04-01\nBank: DE89 3704 0044 0532 0130 00\n"
     "Phone: +1 (415) 555-0132\nPersonal mail: jane.roe.1980@mail.example.net"),
    ("I accidentally committed my config, is this bad?\n\n```\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1\n```\n\n"
     "Answer: yes, rotate the key immediately. Also check your CI: GITHUB_TOKEN=ghp_EXAMPLE0000000000000000000000000000abcd "
     "was printed in the build log at 2024-02-11T10:22:03Z."),
    ("deploy.log\n2024-05-02 12:00:01 INFO connecting to db at 192.0.2.15:5432\n"
     "2024-05-02 12:00:02 WARN retry from ::ffff:192.0.2.128\n2024-05-02 12:00:02 INFO slack notify with "
     "token xoxb-000000000000-0000000000000-EXAMPLEEXAMPLEEXAMPLE\n2024-05-02 12:00:03 INFO sha256 "
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 verified\n"
     "2024-05-02 12:00:04 ERROR payment provider rejected key sk_live_EXAMPLE00000000000000000000000"),
    ("To call the API:\n\ncurl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
     "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
     "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c' https://api.example.com/v1/me\n\n"
     "<p>Maps widget key (restrict it by referrer!): <code>AIzaSyEXAMPLE-EXAMPLE_EXAMPLE-EXAMPLE00</code></p>"),
    ("Please don't paste keys into tickets! Someone posted this today:\n\n-----BEGIN RSA PRIVATE KEY-----\n"
     "MIIEpAIBAAKCAQEAEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE\n"
     "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy\n"
     "-----END RSA PRIVATE KEY-----\n\nThe matching certificate is public and fine to share:\n"
     "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUEXAMPLE\n-----END CERTIFICATE-----"),
    ("<p>Bienvenue&nbsp;! Pour toute question, &eacute;crivez &agrave; <b>contact@example.fr</b> "
     "ou appelez le +33 1 23 45 67 89. Caf&eacute; offert &agrave; 10&#8239;h.</p>"
     "<p>Virement&nbsp;: FR14 2004 1010 0505 0001 3M02 606</p>"),
    ("Kundenservice: service@example.de, Tel. +49 30 901820 (Mo&ndash;Fr). IBAN: DE89370400440532013000. "
     "Stra\u00dfe 12, 10115 Berlin. Preis: 19,99 \u20ac inkl. MwSt."),
    ("Test cards for the sandbox (from the payment provider's docs): Mastercard 5555 5555 5555 4444, "
     "Amex 3782 822463 10005, Discover 6011 1111 1111 1117. Do NOT use 4242 4242 4242 4241 - it fails "
     "the Luhn check and is rejected before any network call. ISBN of the manual: 978-0-306-40615-7."),
    ("Meeting notes 2023-11-07\n- Ana (ana@example.com) will call the vendor at 1-800-555-0199.\n"
     "- Server move: old 10.0.0.12 -> new 192.0.2.77; IPv6 2001:db8::42 stays.\n"
     "- Budget: EUR 12,500.00 approved; PO 4500012345.\n- Next meeting 2023-11-14 10:30."),
    ("Het rekeningnummer is NL91 ABNA 0417 1643 00 en voor Zwitserland CH93 0076 2011 6238 5295 7. "
     "Belgi\u00eb: BE68 5390 0754 7034. Vragen? info@example.nl"),
    ("<article><h1>10 tips to secure your home router</h1><p>1. Change the default password. "
     "2. Don't expose the admin page: anyone can reach http://198.51.100.1/admin if you do. "
     "3. Update the firmware (v2.4.10 fixes CVE-2023-12345).</p><!-- ad slot --><p>Reader question from "
     "m&#46;lee&#64;example&#46;com: &quot;is 255.255.255.0 a valid IP?&quot;</p></article>"),
]
for t in PLANTED:
    add(t, "hand-written for llmdata (MIT); all PII is fake: documentation IPs (RFC 5737/3849), "
           "555-01xx/Ofcom/ACMA fiction numbers, card-network test numbers, ECBS example IBANs, "
           "SSA-voided SSNs, example keys", "planted")

# 6. Low-quality documents (for filters).
LOW = [
    "Click here!!! Click here!!! Click here!!! BEST DEALS BEST DEALS BEST DEALS $$$ >>> www.example.com <<<",
    "ok",
    "<div><div><div><span></span></div></div></div>",
    "cheap watches cheap watches cheap watches cheap watches cheap watches cheap watches cheap watches",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30",
    "&nbsp;&nbsp;&nbsp;&nbsp;&#160;&#xA0;   \t\t\n\n",
    "lorem ipsum dolor sit amet lorem ipsum dolor sit amet lorem ipsum dolor sit amet",
    "| | | | | --- | --- | --- | ::::::: ;;;;;;; ,,,,,,, ....... !!!!!!!",
]
for t in LOW:
    add(t, "hand-written low-quality sample for llmdata (MIT)", "low-quality")

# 7. Exact and near duplicates of earlier documents.
base = [d for d in docs if d["kind"] in ("text", "markdown")]
for d in (base[1], base[7], base[15]):
    add(d["text"], d["source"] + " [exact duplicate]", "duplicate")
near = [base[3], base[11], base[20]]
add(near[0]["text"].replace("the", "teh", 1), near[0]["source"] + " [near duplicate: one typo]", "near-duplicate")
add(near[1]["text"] + "\n\nShare this page on social media!", near[1]["source"] + " [near duplicate: appended line]",
    "near-duplicate")
add(near[2]["text"][:-40], near[2]["source"] + " [near duplicate: truncated]", "near-duplicate")
add(PLANTED[0].replace("(202) 555-0143", "(202) 555-0178"), "hand-written [near duplicate of the contact page]",
    "near-duplicate")

for d in docs:
    sys.stdout.write(json.dumps(d, ensure_ascii=False) + "\n")
print(f"{len(docs)} documents", file=sys.stderr)
