"""Tests of llmdata.text (clean_text, Redactor).  Expected values come from the specs named in
tests/test_text.c (WHATWG character references, UAX #15, Stripe test cards, ECBS IBAN examples,
RFC 5737 addresses, SSA rules) and, for cleaning, from Python's own html/unicodedata modules."""
import html
import threading
import unicodedata
import unittest

import llmdata
from llmdata import LlmdError, Redactor, Span, clean_text, clean_texts


class CleanTest(unittest.TestCase):
    def test_html_and_entities(self):
        self.assertEqual(clean_text("<p>AT&amp;T&nbsp;<b>rocks</b></p><script>x()</script>"), "AT&T rocks")
        self.assertEqual(clean_text("&#150;&#x1F600;&#0;"), "\u2013\U0001F600\uFFFD")
        self.assertEqual(clean_text("<b>x</b>", html=False), "<b>x</b>")

    def test_named_entities_match_python_html5_table(self):
        # Python's html.entities.html5 is an independent copy of the WHATWG table.
        names = ["amp;", "eacute;", "hellip;", "NotEqualTilde;", "fjlig;", "Aopf;", "zwnj;", "apos;"]
        for name in names:
            want = unicodedata.normalize("NFC", html.entities.html5[name])
            got = clean_text("x&" + name + "x", whitespace=False, drop_controls=False)
            self.assertEqual(got, "x" + want + "x", name)

    def test_references_match_python_html_unescape(self):
        # html.unescape implements the WHATWG character-reference rules independently (named,
        # legacy names without ';', numeric with the Windows-1252 remap and U+FFFD cases).  It
        # drops control/noncharacter references that HTML5 keeps, so those are left out here.
        raw = dict(html=True, normalization=None, whitespace=False, drop_controls=False)
        names = " ".join("&" + k for k in sorted(html.entities.html5))
        self.assertEqual(clean_text(names, **raw), html.unescape(names))
        tricky = ("&copy 2024 &amp &notit; &notin; &ampx; AT&T &#65;&#x42;&#X43;&#68 &#150;&#x80;&#x9F;"
                  "&#0;&#xD800;&#x110000;&#99999999999; &#x1F600; &#; &#x; &bogus;")
        self.assertEqual(clean_text(tricky, **raw), html.unescape(tricky))

    def test_normalization(self):
        decomposed = "e\u0301 \u212b \ufb01"
        self.assertEqual(clean_text(decomposed), unicodedata.normalize("NFC", decomposed))
        self.assertEqual(clean_text(decomposed, normalization="nfkc"), unicodedata.normalize("NFKC", decomposed))
        self.assertEqual(clean_text(decomposed, normalization=None), decomposed)
        with self.assertRaises(ValueError):
            clean_text("x", normalization="nfd")

    def test_whitespace_controls_like_python_split(self):
        text = " a\u3000b\u00a0c\t\n d\x01e\x7f "
        # Python: drop controls (except \t\n), then " ".join(str.split()) collapses white space.
        no_ctrl = "".join(ch for ch in text if not (unicodedata.category(ch) == "Cc" and ch not in "\t\n"))
        self.assertEqual(clean_text(text), " ".join(no_ctrl.split()))
        self.assertEqual(clean_text("a\n\n\nb c", keep_paragraphs=True), "a\n\nb c")

    def test_against_python_unicodedata(self):
        # Oracle: drop Cc controls except \t\n, normalise with Python's unicodedata, then
        # " ".join(str.split()).  Text: the sample corpus (HTML off) plus random strings drawn from
        # blocks rich in canonical/compatibility mappings, mixed with ASCII letters and spaces so
        # that combining marks follow ASCII starters (the fast path's edge).
        import json
        import os
        import random

        def ref(t, form):
            # With white-space collapsing, \v \f \r are white space rather than dropped controls.
            t = t.translate({0x0B: " ", 0x0C: " ", 0x0D: " "})
            t = "".join(ch for ch in t if not (unicodedata.category(ch) == "Cc" and ch not in "\t\n"))
            return " ".join(unicodedata.normalize(form, t).split())
        texts = []
        sample = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "data", "sample.jsonl")
        if os.path.exists(sample):
            with open(sample, encoding="utf-8") as f:
                texts += [json.loads(line)["text"] for line in f]
        rnd = random.Random(1234)
        blocks = [(0x41, 0x7A), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1100, 0x1175),
                  (0x11A8, 0x11C2), (0xAC00, 0xAC40), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2100, 0x218F),
                  (0xFB00, 0xFB06), (0xFF01, 0xFF5E), (0x3000, 0x30FF), (0x20, 0x20), (0x9, 0xD),
                  (0x900, 0xDFF), (0x1000, 0x103F), (0x1B00, 0x1B4F), (0x1F00, 0x1FFF), (0x212A, 0x212B),
                  (0x4E00, 0x4E40), (0xAC00, 0xD7A3), (0x0F70, 0x0F85), (0x11100, 0x11140)]
        for _ in range(300):
            chars = []
            for _ in range(rnd.randint(1, 60)):
                lo, hi = rnd.choice(blocks)
                chars.append(chr(rnd.randint(lo, hi)))
            texts.append("".join(chars))
        for form in ("nfc", "nfkc"):
            got = clean_texts(texts, html=False, normalization=form)
            for t, g in zip(texts, got):
                self.assertEqual(g, ref(t, form.upper()), repr(t))
        # Every assigned BMP character between ASCII letters, and after a few characters that
        # compose with what follows (runs NFC leaves alone skip utf8proc; this checks which do).
        # U+0085 is left out: Python's Cc rule and the cleaner's white-space rule differ on it.
        cps = [c for c in range(0x80, 0x10000) if not 0xD800 <= c <= 0xDFFF and c != 0x85
               and unicodedata.category(chr(c)) != "Cn"]
        texts = ["a%sa" % chr(c) for c in cps]
        texts += ["a%s%sa" % (chr(f), chr(c)) for c in cps[::5] for f in (0x1100, 0xAC00, 0x0B47, 0x304B, 0x0415)]
        got = clean_texts(texts, html=False)
        self.assertEqual([t for t, g in zip(texts, got) if g != ref(t, "NFC")], [])

    def test_invalid_utf8(self):
        self.assertEqual(clean_text(b"a\xffb"), "a\ufffdb")
        with self.assertRaises(LlmdError) as cm:
            clean_text(b"abc\xff", invalid_utf8="error")
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_UTF8")
        self.assertIn("byte offset 3", str(cm.exception))
        self.assertEqual(clean_text(""), "")
        self.assertEqual(clean_text("a\x00b"), "ab")

    def test_batch(self):
        texts = ["<i>%d</i>  x" % i for i in range(500)] + [""]
        self.assertEqual(clean_texts(texts, threads=4), [clean_text(t) for t in texts])


class RedactTest(unittest.TestCase):
    def setUp(self):
        self.r = Redactor()

    def tearDown(self):
        self.r.close()

    def check_one(self, text, typ, what):
        red, spans = self.r.redact(text)
        start = text.index(what)
        self.assertEqual(spans, [Span(typ, start, start + len(what))], text)
        self.assertEqual(red, text.replace(what, "[" + typ + "]"))

    def test_every_type(self):
        self.check_one("mail jane.roe@example.org now", "EMAIL_ADDRESS", "jane.roe@example.org")
        self.check_one("call (202) 555-0143 now", "PHONE_NUMBER", "(202) 555-0143")
        self.check_one("call +44 20 7946 0958 now", "PHONE_NUMBER", "+44 20 7946 0958")
        self.check_one("from 198.51.100.7 ok", "IP_ADDRESS", "198.51.100.7")
        self.check_one("from 2001:db8::8:800:200c:417a ok", "IP_ADDRESS", "2001:db8::8:800:200c:417a")
        self.check_one("card 5555 5555 5555 4444 ok", "CREDIT_CARD", "5555 5555 5555 4444")
        self.check_one("iban DE89 3704 0044 0532 0130 00 ok", "IBAN_CODE", "DE89 3704 0044 0532 0130 00")
        self.check_one("ssn 536-22-8762 ok", "US_SSN", "536-22-8762")
        self.check_one("key AKIAIOSFODNN7EXAMPLE ok", "SECRET", "AKIAIOSFODNN7EXAMPLE")

    def test_generated_cards_and_ibans(self):
        # Independent Python implementations of Luhn (ISO/IEC 7812-1) and ISO 7064 mod 97-10
        # (ISO 13616) generate valid numbers; any single-digit change breaks both checks.
        import random
        rnd = random.Random(7)

        def luhn_digit(body):
            total = 0
            for i, ch in enumerate(reversed(body)):
                d = int(ch) * (2 if i % 2 == 0 else 1)
                total += d - 9 if d > 9 else d
            return str((10 - total % 10) % 10)

        def iban(cc, bban):
            num = "".join(str(int(c, 36)) for c in bban + cc + "00")
            return cc + "%02d" % (98 - int(num) % 97) + bban

        for _ in range(150):
            body = "4" + "".join(rnd.choice("0123456789") for _ in range(14))
            card = body + luhn_digit(body)
            self.assertEqual(self.r.find("pay " + card + " now"), [Span("CREDIT_CARD", 4, 20)], card)
            k = rnd.randrange(1, 16)
            bad = card[:k] + str((int(card[k]) + rnd.randint(1, 9)) % 10) + card[k + 1:]
            self.assertEqual(self.r.find("pay " + bad + " now"), [], bad)
        for cc, n in (("GB", 18), ("DE", 18), ("FR", 23), ("NL", 14)):
            for _ in range(40):
                bban = "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") if cc in "GBNL" and i < 4
                               else rnd.choice("0123456789") for i in range(n))
                code = iban(cc, bban)
                self.assertEqual(self.r.find("to " + code + "."), [Span("IBAN_CODE", 3, 3 + len(code))], code)
                k = rnd.randrange(4, len(code))
                if code[k].isdigit():
                    bad = code[:k] + str((int(code[k]) + rnd.randint(1, 9)) % 10) + code[k + 1:]
                    self.assertEqual(self.r.find("to " + bad + "."), [], bad)

    def test_negatives(self):
        for text in ["2024-01-15", "v1.2.3.4.5", "4242424242424241", "GB82 WEST 1234 5698 7654 33",
                     "666-12-3456", "256.0.0.1", "isbn 978-3-16-148410-0", "$1,234.56",
                     "d41d8cd98f00b204e9800998ecf8427e", "ghp_short"]:
            self.assertEqual(self.r.find(text), [], text)

    def test_character_offsets_for_str_byte_offsets_for_bytes(self):
        text = "café → jane@example.org"
        (red, spans) = self.r.redact(text)
        self.assertEqual(text[spans[0].start:spans[0].end], "jane@example.org")
        data = text.encode()
        red_b, spans_b = self.r.redact(data)
        self.assertEqual(data[spans_b[0].start:spans_b[0].end], b"jane@example.org")
        self.assertIsInstance(red_b, bytes)

    def test_types_template_rules(self):
        with Redactor(types=["EMAIL_ADDRESS"], template="<{type}>") as r:
            self.assertEqual(r.redact("a@example.com 536-22-8762")[0], "<EMAIL_ADDRESS> 536-22-8762")
        with Redactor(types="none", rules=[("EMP", r"\bE-\d{4}\b", lambda m: m.endswith(b"2"))]) as r:
            red, spans = r.redact("E-1112 E-1113")
            self.assertEqual(red, "[EMP] E-1113")
            self.assertEqual(spans, [Span("EMP", 0, 6)])
        with self.assertRaises(LlmdError) as cm:
            Redactor(types="EMAIL_ADDRESS,PASSPORT")
        self.assertIn("PASSPORT", str(cm.exception))
        with self.assertRaises(LlmdError) as cm:
            Redactor(rules=[("BAD", "(unclosed")])
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_PARSE")

    def test_validator_exception_propagates(self):
        def boom(_m):
            raise RuntimeError("validator failed")
        with Redactor(rules=[("X", "x")]) as ok:
            self.assertEqual(ok.redact("axb")[0], "a[X]b")
        with Redactor(rules=[("X", "x", boom)]) as r:
            with self.assertRaises(RuntimeError):
                r.redact("axb")

    def test_clean_and_redact_and_batch(self):
        red, spans = self.r.clean_and_redact("<p>Write&nbsp;to <b>x@example.com</b></p>")
        self.assertEqual(red, "Write to [EMAIL_ADDRESS]")
        self.assertEqual(spans, [Span("EMAIL_ADDRESS", 9, 22)])
        texts = ["u%d@example.com and 192.0.2.%d" % (i, i % 250) for i in range(400)]
        many = self.r.redact_batch(texts, threads=4)
        self.assertEqual(many, [self.r.redact(t) for t in texts])
        cleaned = self.r.redact_batch(["<b>a@example.com</b>  x"], clean=True)
        self.assertEqual(cleaned, [("[EMAIL_ADDRESS] x", [Span("EMAIL_ADDRESS", 0, 13)])])

    def test_batch_offsets_and_bytes(self):
        # Non-ASCII before a span: character offsets differ from byte offsets ("Café " is 5
        # characters, 6 bytes); after cleaning, offsets refer to the cleaned text.
        texts = ["Café a@example.com", b"Caf\xc3\xa9 a@example.com", "plain b@example.org"]
        got = self.r.redact_batch(texts)
        self.assertEqual(got, [self.r.redact(t) for t in texts])
        self.assertEqual(got[0], ("Café [EMAIL_ADDRESS]", [Span("EMAIL_ADDRESS", 5, 18)]))
        self.assertEqual(got[1], ("Café [EMAIL_ADDRESS]".encode(), [Span("EMAIL_ADDRESS", 6, 19)]))
        by = self.r.redact_batch(texts, offsets="byte", as_bytes=True)
        self.assertEqual(by[0], ("Café [EMAIL_ADDRESS]".encode(), [Span("EMAIL_ADDRESS", 6, 19)]))
        self.assertEqual(by[2], (b"plain [EMAIL_ADDRESS]", [Span("EMAIL_ADDRESS", 6, 19)]))
        self.assertEqual(self.r.redact_batch([texts[1]], offsets="char")[0][1], [Span("EMAIL_ADDRESS", 5, 18)])
        # clean=True: one C pass; offsets into the cleaned text, character-based, also when the
        # cleaning itself creates the non-ASCII text ("&eacute;" -> "é").
        raw = ["<b>Caf&eacute;</b>  x@example.com", "<i>ok</i> y@example.com", "no pii", ""]
        want = [self.r.redact(clean_text(t)) for t in raw]
        self.assertEqual(self.r.redact_batch(raw, clean=True), want)
        self.assertEqual(want[0], ("Café [EMAIL_ADDRESS]", [Span("EMAIL_ADDRESS", 5, 18)]))
        self.assertEqual(self.r.redact_batch(raw, clean=True, offsets="byte")[0][1], [Span("EMAIL_ADDRESS", 6, 19)])
        self.assertEqual(self.r.redact_batch(raw, clean=True, threads=2, html=False),
                         [self.r.redact(clean_text(t, html=False)) for t in raw])
        with self.assertRaises(ValueError):
            self.r.redact_batch(raw, offsets="chars")
        # Character offsets worked out from the output: templates with non-ASCII text and braces,
        # several spans after non-ASCII text, as_bytes outputs; each equals clean then redact.
        many = ["<p>Zoë &amp; Åsa: a@example.com, café 192.0.2.7 — b@example.org</p>",
                "日本 x@example.jp 東京 4111 1111 1111 1111 ü", "ok", "<b>é</b>c@example.com"]
        for tmpl in (None, "«{type}»", "{{{type}}}", "***", "{type}—{type}"):
            with Redactor(template=tmpl) as rt:
                want = [rt.redact(clean_text(t)) for t in many]
                self.assertEqual(rt.redact_batch(many, clean=True), want, tmpl)
                got_b = rt.redact_batch(many, clean=True, as_bytes=True)
                self.assertEqual([(t.decode(), sp) for t, sp in got_b], want, tmpl)
        # A caller rule may match non-ASCII: its offsets are converted even in ASCII-looking output.
        with Redactor(types="none", rules=[("WORD", "é+")], template="*") as rr:
            self.assertEqual(rr.redact_batch(["a éé b"], clean=True), [("a * b", [Span("WORD", 2, 4)])])
            self.assertEqual(rr.redact_batch(["a éé b"], clean=True, offsets="byte"), [("a * b", [Span("WORD", 2, 6)])])

    def test_threads_share_one_redactor(self):
        texts = ["id %d mail u%d@example.com card 4242 4242 4242 4242" % (i, i) for i in range(200)]
        want = [self.r.redact(t) for t in texts]
        got, errors = {}, []

        def work(k):
            try:
                got[k] = [self.r.redact(t) for t in texts]
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        for k in range(6):
            self.assertEqual(got[k], want)

    def test_exported_names(self):
        for name in ("clean_text", "clean_texts", "Redactor", "Span", "PII_TYPES"):
            self.assertTrue(hasattr(llmdata, name), name)


if __name__ == "__main__":
    unittest.main()
