#!/usr/bin/env python3
"""Writes the tokenizer edge-case set (stdlib only).

usage: make_edge_set.py OUT.jsonl [--big]
One {"id", "text"} per line: scripts (CJK, Thai, Arabic, Hebrew, Devanagari, Korean, ...), emoji ZWJ
sequences, flags and skin tones, combining marks, U+FEFF, NBSP and every other Unicode space, CRLF
and lone CR, whitespace runs, digits of many scripts, code, contractions, punctuation runs, special
token strings inside text, private-use and rare characters.  --big adds 1 MB cases: a single word,
a whitespace run, a digit run, a run of one CJK character, mixed punctuation.
"""
import json
import sys

SPACES = ["\u0009", "\u000b", "\u000c", "\u0085", "\u00a0", "\u1680"] + [chr(c) for c in range(0x2000, 0x200B)] + \
         ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u180e", "\u200b", "\u2060", "\ufeff"]
DIGITS = {  # zero..nine of several scripts
    "arabic_indic": "٠١٢٣٤٥٦٧٨٩", "ext_arabic_indic": "۰۱۲۳۴۵۶۷۸۹", "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯", "thai": "๐๑๒๓๔๕๖๗๘๙", "fullwidth": "０１２３４５６７８９",
    "math_bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", "tamil": "௦௧௨௩௪௫௬௭௮௯", "mongolian": "᠐᠑᠒᠓᠔᠕᠖᠗᠘᠙",
}
CASES = [
    ("empty", ""), ("space", " "), ("two_spaces", "  "), ("newline", "\n"), ("a", "a"), ("A", "A"),
    ("hello", "Hello world"), ("lead_trail", "  leading and trailing  "),
    ("cjk_zh", "机器学习是人工智能的一个分支。它使计算机能够从数据中学习。"),
    ("cjk_ja", "東京は日本の首都です。ひらがな、カタカナ、漢字を混ぜて書きます。"),
    ("korean", "한국어 텍스트 토큰화 테스트입니다. 안녕하세요!"),
    ("thai", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ การตัดคำจึงยาก"),
    ("arabic", "اللغة العربية تكتب من اليمين إلى اليسار، وفيها تشكيل: مَرْحَبًا"),
    ("hebrew", "עברית נכתבת מימין לשמאל: שָׁלוֹם עוֹלָם"),
    ("devanagari", "हिन्दी भाषा देवनागरी लिपि में लिखी जाती है। क्षत्रिय"),
    ("tamil", "தமிழ் ஒரு பழமையான மொழி"), ("georgian", "ქართული ენა"), ("armenian", "Հայերեն լեզու"),
    ("russian", "Съешь же ещё этих мягких французских булок, да выпей чаю."),
    ("greek", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία"), ("vietnamese", "Tiếng Việt có dấu: Nguyễn Thị Hương"),
    ("emoji_simple", "I ❤️ tokenizers 😀😃😄"), ("emoji_zwj_family", "family: 👨‍👩‍👧‍👦 and 👩‍❤️‍💋‍👨"),
    ("emoji_flags", "flags 🇺🇸🇬🇧🇯🇵🇩🇪 🏴󠁧󠁢󠁳󠁣󠁴󠁿"), ("emoji_skin", "👍🏻👍🏼👍🏽👍🏾👍🏿 wave 👋🏽"),
    ("emoji_keycap", "1️⃣ 2️⃣ #️⃣ *️⃣"), ("emoji_only", "🤖🤖🤖🤖🤖🤖🤖🤖"),
    ("combining_decomposed", "Cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030a"),
    ("combining_precomposed", "Café naïve résumé Å"),
    ("combining_stack", "Z\u0351\u0352\u0353\u0354\u0355a\u0300\u0301\u0302\u0303lgo"),
    ("hangul_jamo", "\u1100\u1161\u11a8 \uac01"),
    ("bom_start", "\ufeffBOM at start"), ("bom_mid", "word\ufeffword"),
    ("crlf", "line one\r\nline two\r\n\r\nline four"), ("lone_cr", "carriage\rreturn\r"),
    ("tabs", "col1\tcol2\t\tcol4\n\tindented"), ("mixed_ws", " \t \n \r\n  \u00a0 \u3000 x"),
    ("spaces_run_100", "a" + " " * 100 + "b"), ("newlines_run", "a\n\n\n\n\n\n\nb"),
    ("trailing_spaces", "end with spaces     "), ("ws_then_newline", "x   \n   y"),
    ("contractions", "I'm you're he's we've they'll she'd it's can't won't"),
    ("contractions_upper", "I'M YOU'RE HE'S WE'VE THEY'LL SHE'D IT'S CAN'T"),
    ("contractions_curly", "I’m you’re he’s"), ("apostrophes", "'s 't 're 've 'm 'll 'd ''quoted''"),
    ("punct_run", "Wait...!!! What?!?! --- *** ~~~ ((( ))) [[[ ]]] {{{ }}}"),
    ("punct_unicode", "«quotes» „Anführung“ 「括弧」 — – … ‘’ “”"),
    ("numbers", "1 12 123 1234 12345 123456 1234567 3.14159 1e-10 0x1F 1,000,000"),
    ("long_digits", "9" * 200), ("phone_like", "+1 (555) 010-0199 ext. 42"),
    ("code_python", "def f(x):\n    return [i**2 for i in range(x) if i % 2 == 0]\n\nprint(f(10))\n"),
    ("code_c", "int main(void) {\n\tchar *p = malloc(16);\n\tif (!p) return -1;\n\treturn 0;\n}\n"),
    ("code_json", '{"key": [1, 2.5, null, true], "nested": {"a": "b\\n"}}'),
    ("code_html", "<div class=\"x\"><p>Hello &amp; welcome</p><br/></div>"),
    ("code_shell", "for f in *.txt; do echo \"$f\" | tr a-z A-Z; done 2>&1 | less"),
    ("url_email", "Visit https://example.com/path?q=1&r=2#frag or mail me@example.org."),
    ("special_eot", "before<|endoftext|>after"), ("special_bot", "<|begin_of_text|>Hello<|end_of_text|>"),
    ("special_llama3_header", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"),
    ("special_s", "<s>text</s> and <unk> too"), ("special_spaced", " <|endoftext|> spaced "),
    ("special_partial", "<|endoftext| not closed <|endof"), ("special_repeat", "<s><s></s></s>"),
    ("private_use", "\ue000\ue001\uf8ff \U000f0000"), ("replacement_char", "bad \ufffd byte"),
    ("math_alnum", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 𝒮𝒸𝓇𝒾𝓅𝓉"), ("math_symbols", "∀x∈ℝ: x² ≥ 0 ⇒ √(x²) = |x| ∑∏∫"),
    ("ligatures", "ﬁﬂ ﬃ ﬄ ﬅ Ⅻ ㎏ ①②③ ½ ™"), ("fullwidth", "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ！"),
    ("zero_width", "zero\u200bwidth\u200cnon\u200djoiner"), ("bidi_controls", "a\u202eb\u202cc\u2066d\u2069"),
    ("soft_hyphen", "hyphen\u00adated"), ("mixed_script_word", "Helloмирworld世界"),
    ("uppercase", "ALL CAPS SENTENCE WITH ACRONYMS LIKE NASA AND HTTP"),
    ("camel", "camelCaseIdentifier snake_case_identifier kebab-case-identifier"),
    ("repeated_char", "a" * 300), ("repeated_word", "the " * 100), ("ellipsis", "wait… what…"),
    ("null_like", "\u0001\u0002\u0003 control \u007f \u0080\u009f"),
]


def main():
    out = sys.argv[1]
    cases = list(CASES)
    for i, sp in enumerate(SPACES):
        cases.append((f"space_U+{ord(sp):04X}", f"a{sp}b {sp}{sp}c{sp}"))
        cases.append((f"space_U+{ord(sp):04X}_lead", f"{sp}word"))
    for name, d in DIGITS.items():
        cases.append((f"digits_{name}", f"{d} {d * 3} x{d[1:4]}y"))
    if "--big" in sys.argv:
        cases += [("big_word", "a" * 1_000_000), ("big_whitespace", " " * 1_000_000),
                  ("big_digits", "7" * 1_000_000), ("big_cjk", "字" * 333_333),
                  ("big_punct", "!?" * 500_000), ("big_mixed_word", "ab1" * 333_333)]
    with open(out, "w", encoding="utf-8") as f:
        for name, text in cases:
            f.write(json.dumps({"id": name, "text": text}, ensure_ascii=False) + "\n")
    print(f"make_edge_set: {len(cases)} cases -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
