"""Tests of llmdata.filter.  Expected outcomes are worked out by hand from datatrove's filter code
(C4QualityFilter, C4BadWordsFilter, GopherQualityFilter, GopherRepetitionFilter,
FineWebQualityFilter, LanguageFilter) and NLTK's punkt / Treebank tokenizers, noted per case."""
import os
import tempfile
import unittest

import llmdata
from llmdata import LlmdError, QualityFilter

L5 = "\n".join("This is line %s." % w for w in ("one", "two", "three", "four", "five"))  # 5 sentences
# "the and" + 48 x "apple" + ".": 50 non-symbol words of mean length 4.92, 2 stop words
BASE = "the and" + " apple" * 48 + "."


class FilterTest(unittest.TestCase):
    def test_rule_names_come_from_the_library(self):
        names = llmdata.filter_rules()
        self.assertEqual(names[0], "len_min")
        self.assertEqual(names[-1], "language")
        for n in ("c4_too_few_sentences", "badwords", "gopher_short_doc", "gopher_rep_top_ngram", "fineweb_list_ratio"):
            self.assertIn(n, names)

    def test_kept_unchanged(self):
        r = QualityFilter(filters="c4").apply(L5)
        self.assertEqual(r[:3], (True, None, L5))
        self.assertEqual(QualityFilter().apply(L5).reason, "gopher_short_doc")    # 20 words < 50

    def test_c4_lines_removed_and_stats(self):
        # "Menu": no end mark; "Two words.": 2 < 3 words; JavaScript and policy lines; citation removed
        text = "Menu\nTwo words.\nPlease enable JavaScript now.\nSee our privacy policy here.\nThis is cited.[12]\n" + L5
        f = QualityFilter(filters="c4")
        r = f.apply(text)
        self.assertTrue(r.keep, r)
        self.assertEqual(r.text, "This is cited.\n" + L5)
        st = f.stats()
        self.assertEqual((st["docs_in"], st["docs_kept"], st["docs_modified"]), (1, 1, 1))
        self.assertEqual(st["rules"], {"c4_line_no_terminal_punct": {"docs_dropped": 0, "lines_removed": 1},
                                       "c4_line_too_few_words": {"docs_dropped": 0, "lines_removed": 1},
                                       "c4_line_javascript": {"docs_dropped": 0, "lines_removed": 1},
                                       "c4_line_policy": {"docs_dropped": 0, "lines_removed": 1}})

    def test_document_rules(self):
        f = QualityFilter(filters="c4,badwords")
        self.assertEqual(f.apply(L5 + "\nLorem ipsum dolor sit amet.").reason, "c4_lorem_ipsum")
        self.assertEqual(f.apply(L5 + "\nCall f() { return; } now.").reason, "c4_curly_bracket")
        self.assertEqual(f.apply("\n".join(L5.split("\n")[:4])).reason, "c4_too_few_sentences")
        self.assertEqual(f.apply(L5 + "\nWhat a load of shit, really.").reason, "badwords")
        self.assertEqual(QualityFilter(filters="c4", c4_min_num_sentences=4).apply("\n".join(L5.split("\n")[:4])).reason, None)
        g = QualityFilter(filters="gopher")
        self.assertEqual(g.apply(BASE).reason, None)
        self.assertEqual(g.apply("the" + " apple" * 48 + ".").reason, "gopher_short_doc")         # 49 words
        self.assertEqual(g.apply(BASE.replace("the and", "The And")).reason, "gopher_enough_stop_words")
        self.assertEqual(QualityFilter(filters="gopher", gopher_min_stop_words=0).apply(
            BASE.replace("the and", "The And")).reason, None)
        self.assertEqual(QualityFilter(min_bytes=10 ** 6).apply(L5).reason, "len_min")
        self.assertEqual(QualityFilter(max_bytes=10).apply(L5).reason, "len_max")
        self.assertEqual(QualityFilter(filters="").apply("x").reason, None)

    def test_repetition_and_fineweb(self):
        # top 2-gram "x y" x3 = 9 characters of 11
        off = dict(rep_dup_line_frac=0, rep_dup_para_frac=0, rep_dup_line_char_frac=0, rep_dup_para_char_frac=0,
                   rep_dup_n_grams=[])
        self.assertEqual(QualityFilter(filters="gopher-repetition", rep_top_n_grams=[(2, 9 / 11)], **off).apply("x y x y x y").reason, None)
        self.assertEqual(QualityFilter(filters="gopher-repetition", rep_top_n_grams=[(2, 0.81)], **off).apply("x y x y x y").reason,
                         "gopher_rep_top_ngram")
        self.assertEqual(QualityFilter(filters="gopher-repetition").apply("the cat sat on the mat. " * 20).reason, "gopher_rep_top_ngram")
        self.assertEqual(QualityFilter(filters="fineweb").apply(" \n \n").reason, "fineweb_empty")
        long_line = "this line is longer than thirty characters"
        self.assertEqual(QualityFilter(filters="fineweb").apply("\n".join([long_line + " a."] * 2)).reason, "fineweb_char_dup_ratio")

    def test_batch_equals_single(self):
        f = QualityFilter(filters="c4,badwords,gopher,gopher-repetition,fineweb")
        texts = [L5, "x", L5 + "\nLorem ipsum.", "Home\n" + L5, "", "東京 " + BASE, BASE * 3] * 20
        batch = f.apply_batch(texts, threads=2)
        self.assertEqual(batch, [f.apply(t) for t in texts])
        self.assertEqual(f.apply_batch([]), [])
        self.assertEqual(f.stats()["docs_in"], 2 * len(texts))

    def test_language_predictor(self):
        def predict(text, k):
            self.assertNotIn("\n", text)              # newlines replaced by spaces, as datatrove does
            return [("fr", 0.9), ("en", 0.1)] if text.startswith("fr:") else [("en", 0.66), ("fr", 0.34)]
        f = QualityFilter(filters="language,badwords", languages=["en"], language_predict=predict)
        r = f.apply("hello\nworld")
        self.assertEqual((r.keep, r.language, r.language_score), (True, "en", 0.66))   # 0.66 > 0.65
        r = f.apply("fr: il veut baiser")
        self.assertEqual((r.keep, r.reason, r.language), (False, "language", "fr"))
        f = QualityFilter(filters="language,badwords", languages="fr", language_predict=predict)
        self.assertEqual(f.apply("fr: il veut baiser").reason, "badwords")           # French list
        # Without a predictor the bundled fastText model predicts (lib/langid).
        f = QualityFilter(filters="language", languages="en")
        r = f.apply("This is an English sentence about the weather, written plainly for everyone to read.")
        self.assertEqual((r.keep, r.language), (True, "en"))
        self.assertGreater(r.language_score, 0.65)

        def broken(text, k):
            raise RuntimeError("no model")
        with self.assertRaises(LlmdError):
            QualityFilter(filters="language", language_predict=broken).apply("x")

    def test_language_model_option(self):
        """language_model: the language filter's fastText file.  Expectations: the prediction of the
        same model file loaded by LanguageId on the text with newlines as spaces (datatrove's
        LanguageFilter input); a file that is not a model must fail when the filter is built,
        which proves the option is read (the default model would load)."""
        from llmdata import LanguageId, default_langid_model_path
        src = default_langid_model_path()
        text = "Ceci est une phrase en fran\u00e7ais.\nElle parle du temps qu'il fait aujourd'hui."
        with tempfile.TemporaryDirectory() as d:
            copy = os.path.join(d, "model copy.ftz")
            with open(src, "rb") as a, open(copy, "wb") as b:
                b.write(a.read())
            label, prob = LanguageId(copy).predict(text.replace("\n", " "))
            self.assertEqual(label, "fr")                     # labels without fastText's prefix
            f = QualityFilter(filters="language", languages=["fr"], language_model=copy)
            r = f.apply(text)
            self.assertEqual((r.keep, r.language), (True, "fr"))
            self.assertAlmostEqual(r.language_score, prob, places=6)
            r = QualityFilter(filters="language", languages="en", language_model=copy).apply(text)
            self.assertEqual((r.keep, r.reason, r.language), (False, "language", "fr"))
            import pickle
            g = pickle.loads(pickle.dumps(f))                  # pickles with its model path
            self.assertEqual(g.apply(text), f.apply(text))
            bad = os.path.join(d, "not-a-model.ftz")
            with open(bad, "wb") as fh:
                fh.write(b"this is not a fastText model")
            with self.assertRaises(LlmdError) as cm:
                QualityFilter(filters="language", language_model=bad)
            self.assertIn("not-a-model.ftz", str(cm.exception))
            with self.assertRaises(LlmdError):
                QualityFilter(filters="language", language_model=os.path.join(d, "missing.ftz"))

    def test_errors_and_bad_words_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("Zebra\n\n  purple cow \n")
        try:
            f = QualityFilter(filters="badwords", bad_words_file=fh.name)
            self.assertEqual(f.apply("A purple cow, really.").reason, "badwords")   # multi-word entry
            self.assertEqual(f.apply("Zebras are fine.").reason, None)            # "Zebra" has upper case
        finally:
            os.unlink(fh.name)
        with self.assertRaises(LlmdError) as cm:
            QualityFilter(bad_words_file="/nonexistent/words.txt")
        self.assertIn("/nonexistent/words.txt", str(cm.exception))
        with self.assertRaises(LlmdError) as cm:
            QualityFilter(min_bytes=5, max_bytes=4)
        self.assertIn("min_bytes", str(cm.exception))
        with self.assertRaises(LlmdError) as cm:
            QualityFilter(filters="c4,nope")
        self.assertIn("nope", str(cm.exception))
        with self.assertRaises(TypeError):
            QualityFilter(c4_min_sentences=3)


if __name__ == "__main__":
    unittest.main()
