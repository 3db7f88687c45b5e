"""Tests of llmdata.filter.  Expected outcomes are worked out by hand from the rules as documented
in include/llmdata/filter.h (C4: TFDS c4 clean_page; Gopher: Rae et al. 2021), noted per case."""
import os
import tempfile
import unittest

import llmdata
from llmdata import LlmdError, QualityFilter

# 13 words, 1 sentence, stop words "the" x2, "and", "that"
S = "The quick brown fox jumps over the lazy dog and that was fine."
GOOD = "\n".join([S] * 5)      # 65 words, 5 sentences: passes C4 and Gopher


class FilterTest(unittest.TestCase):
    def test_rule_names(self):
        names = llmdata.filter_rules()
        self.assertEqual(len(names), 17)
        self.assertEqual(names[0], "len_min")
        self.assertIn("c4_lorem_ipsum", names)
        self.assertIn("gopher_stop_words", names)

    def test_kept_unchanged(self):
        r = QualityFilter().apply(GOOD)
        self.assertEqual((r.keep, r.reason, r.text, r.lines_removed), (True, None, GOOD, {}))

    def test_c4_lines_removed(self):
        # "Home About" has no end mark, "Read more..." ends in an ellipsis, "Go!" has one word,
        # the JavaScript line is removed by its own rule
        text = "Home About\n" + S + "\nGo!\n" + S + "\nPlease enable JavaScript now.\n" + S + "\nRead more...\n" + S + "\n" + S
        r = QualityFilter().apply(text)
        self.assertTrue(r.keep, r)
        self.assertEqual(r.text, GOOD)
        self.assertEqual(r.lines_removed, {"c4_line_terminal": 2, "c4_line_words": 1, "c4_line_javascript": 1})

    def test_document_rules(self):
        f = QualityFilter()
        self.assertEqual(f.apply(GOOD + "\nLorem ipsum dolor sit amet.").reason, "c4_lorem_ipsum")
        self.assertEqual(f.apply(GOOD + "\nCall f() { return; } now.").reason, "c4_curly_brace")
        self.assertEqual(f.apply("\n".join([S] * 4)).reason, "c4_sentences")          # 4 sentences
        self.assertEqual(f.apply("menu\nhome").reason, "c4_empty")
        self.assertEqual(QualityFilter(c4=False).apply(" ".join([S] * 3)).reason, "gopher_words")  # 39 words
        self.assertEqual(QualityFilter(min_bytes=10 ** 6).apply(GOOD).reason, "len_min")
        self.assertEqual(QualityFilter(max_bytes=10).apply(GOOD).reason, "len_max")
        self.assertEqual(QualityFilter(c4=False, gopher=False).apply("x").reason, None)

    def test_batch_equals_single(self):
        f = QualityFilter()
        texts = [GOOD, "x", GOOD + "\nLorem ipsum.", "Home\n" + GOOD, "", "東京 " + GOOD] * 20
        batch = f.apply_batch(texts, threads=2)
        self.assertEqual(batch, [f.apply(t) for t in texts])
        self.assertEqual(f.apply_batch([]), [])

    def test_bad_words_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("Zebra\n\n  mushroom \n")
        try:
            f = QualityFilter(bad_words_file=fh.name)
            self.assertEqual(f.apply(GOOD + "\nA zebra, really.").reason, "c4_bad_words")
            self.assertEqual(f.apply(GOOD + "\nZebras are fine.").reason, None)   # whole words only
        finally:
            os.unlink(fh.name)
        with self.assertRaises(LlmdError) as cm:
            QualityFilter(bad_words_file="/nonexistent/words.txt")
        self.assertIn("/nonexistent/words.txt", str(cm.exception))
        with self.assertRaises(LlmdError) as cm:
            QualityFilter(min_bytes=5, max_bytes=4)
        self.assertIn("min_bytes", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
