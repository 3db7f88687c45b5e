#!/usr/bin/python3
"""Keep/drop agreement of llmdata's filters with datatrove's own filter classes, per rule.

usage: /usr/bin/python3 tests/filter/datatrove_agreement.py DATATROVE_CHECKOUT CORPUS.jsonl
           [--lib build/lib/libllmdata.so] [--limit N] [--show N] [--time]

Not part of CI: datatrove is not packaged here.  Give it a datatrove source checkout (its src/ is
put on sys.path).  Runs, on every document of CORPUS.jsonl ("text" field), each datatrove filter on
its own -- C4QualityFilter, C4BadWordsFilter, GopherQualityFilter, GopherRepetitionFilter,
FineWebQualityFilter, all with their defaults -- and llmdata's filter of the same name, and prints
the share of documents where both keep or both drop (and, for c4, where the kept text is the same),
with the first differing documents.  --time also prints each side's throughput (MB/s of text, one
thread, CPU time of the calling thread) and the ratio.

How datatrove is run, and why:
  * Word tokenizer: datatrove's NLTKTokenizer logic (nltk.word_tokenize = punkt sentences + NLTK's
    Treebank word tokenizer; sentences from punkt's span_tokenize), passed as the filters'
    `language` (datatrove accepts a WordTokenizer there).  The punkt model is NLTK's
    PunktSentenceTokenizer() with no trained parameters: the trained English pickle is not on this
    machine (and cannot be fetched), llmdata implements the same untrained punkt.
  * Modules datatrove imports but these filters do not use (loguru, huggingface_hub, ...) are
    replaced by inert stand-ins when they are not installed.
  * C4BadWordsFilter downloads LDNOOBW lists at fixed commits; the script points it at llmdata's
    bundled copies of the same files (lib/filter/badwords/, same commits).
  * LanguageFilter needs the fastText package and lid.176, which are not here: not compared.
  * When every line of CORPUS has a "language" field, C4BadWordsFilter is also compared with each
    document's own language list (datatrove reads it from the metadata, llmdata from its language
    filter fed with that label).
"""
import argparse
import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class _Inert(types.ModuleType):
    """A stand-in module: every attribute is an inert callable class."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        stub = type(name, (), {"__init__": lambda self, *a, **k: None, "__call__": lambda self, *a, **k: None,
                               "__getattr__": lambda self, n: (lambda *a, **k: None)})
        setattr(self, name, stub)
        return stub


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports missing third-party modules as inert stand-ins (datatrove's package __init__s import
    far more than its filters use)."""

    def __init__(self, names):
        self.names = names

    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in self.names:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        m = _Inert(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


def install_stubs():
    missing = []
    for name in ("loguru", "huggingface_hub", "humanize", "multiprocess", "dill", "tokenizers", "fasteners",
                 "fasttext", "xxhash", "orjson", "tldextract", "pyarrow", "zstandard", "boto3", "s3fs"):
        try:
            __import__(name)
        except Exception:
            missing.append(name)
    sys.meta_path.insert(0, _StubFinder(set(missing)))
    if "loguru" in missing:   # datatrove calls logger.info(...) / logger.warning(...)
        lg = types.ModuleType("loguru")
        lg.logger = types.SimpleNamespace(**{k: (lambda *a, **kw: None) for k in
                                             ("info", "warning", "debug", "error", "success", "remove", "add")})
        sys.modules["loguru"] = lg
    return missing


def load_datatrove(checkout):
    sys.path.insert(0, os.path.join(checkout, "src"))
    install_stubs()
    from nltk.tokenize import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    from datatrove.data import Document
    from datatrove.pipeline.filters import c4_filters
    from datatrove.pipeline.filters.c4_filters import C4BadWordsFilter, C4QualityFilter
    from datatrove.pipeline.filters.fineweb_quality_filter import FineWebQualityFilter
    from datatrove.pipeline.filters.gopher_quality_filter import GopherQualityFilter
    from datatrove.pipeline.filters.gopher_repetition_filter import GopherRepetitionFilter
    from datatrove.utils.word_tokenizers import WordTokenizer, strip_strings

    class UntrainedPunktNLTK(WordTokenizer):
        """datatrove NLTKTokenizer with PunktSentenceTokenizer() in place of the english.pickle."""

        def __init__(self):
            super().__init__("en")
            self.punkt = PunktSentenceTokenizer()
            self.tb = NLTKWordTokenizer()

        def word_tokenize(self, text):
            return strip_strings([t for s in self.punkt.tokenize(text) for t in self.tb.tokenize(s)])

        def sent_tokenize(self, text):
            return strip_strings(self.punkt.tokenize(text))

        def span_tokenize(self, text):
            return list(self.punkt.span_tokenize(text))

    bw_dir = os.path.join(ROOT, "lib", "filter", "badwords")
    c4_filters.cached_asset_path_or_download = lambda url, **kw: os.path.join(bw_dir, url.rstrip("/").split("/")[-1])
    tok = UntrainedPunktNLTK()
    filters = {
        "c4": C4QualityFilter(language=tok),
        "badwords": C4BadWordsFilter(),
        "gopher": GopherQualityFilter(language=tok),
        "gopher-repetition": GopherRepetitionFilter(language=tok),
        "fineweb": FineWebQualityFilter(language=tok),
    }
    return Document, filters


def run_datatrove(Document, flt, texts):
    out = []
    for i, t in enumerate(texts):
        d = Document(text=t, id=str(i), metadata={})
        try:
            r = flt.filter(d)
        except ZeroDivisionError:   # datatrove divides by len(text) / word counts of 0
            out.append(("error", "ZeroDivisionError", t))
            continue
        keep, reason = (r, None) if not isinstance(r, tuple) else r
        out.append((bool(keep), reason, d.text))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("datatrove")
    ap.add_argument("corpus")
    ap.add_argument("--lib", default=os.path.join(ROOT, "build", "lib", "libllmdata.so"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=5)
    ap.add_argument("--time", action="store_true")
    ap.add_argument("--filters", default="c4,badwords,gopher,gopher-repetition,fineweb")
    a = ap.parse_args()
    os.environ.setdefault("LLMDATA_LIBRARY", os.path.abspath(a.lib))
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
    import llmdata

    texts, langs = [], []
    with open(a.corpus, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            texts.append(obj["text"])
            langs.append(obj.get("language"))
            if a.limit and len(texts) >= a.limit:
                break
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    Document, dt = load_datatrove(a.datatrove)
    print("%d documents, %.1f MB; datatrove at %s" % (len(texts), mb, a.datatrove))
    worst = 100.0
    for name in a.filters.split(","):
        t0 = time.thread_time()   # CPU time of this thread: fair on a shared, loaded machine
        ref = run_datatrove(Document, dt[name], texts)
        t_dt = time.thread_time() - t0
        f = llmdata.QualityFilter(filters=name)
        t0 = time.thread_time()   # threads=1 runs on this thread
        ours = f.apply_batch(texts, threads=1)
        t_ll = time.thread_time() - t0
        agree = same_text = kept_both = 0
        diffs = []
        for i, (r, o) in enumerate(zip(ref, ours)):
            if r[0] == "error":
                agree += o.keep   # datatrove cannot decide; llmdata keeps (documented)
                continue
            if r[0] == o.keep:
                agree += 1
                if r[0]:
                    kept_both += 1
                    same_text += r[2] == o.text
                    if r[2] != o.text and len(diffs) < a.show:
                        diffs.append((i, "text differs", r[1], o.reason))
            elif len(diffs) < a.show:
                diffs.append((i, "datatrove %s (%s), llmdata %s (%s)" % (
                    "keeps" if r[0] else "drops", r[1], "keeps" if o.keep else "drops", o.reason), r[1], o.reason))
        pct = 100.0 * agree / max(1, len(texts))
        worst = min(worst, pct)
        dropped_dt = sum(1 for r in ref if r[0] is False)
        line = "%-18s keep/drop agreement %6.2f%% (%d/%d; datatrove drops %d, llmdata drops %d)" % (
            name, pct, agree, len(texts), dropped_dt, sum(1 for o in ours if not o.keep))
        if name == "c4":
            line += "; same kept text %d/%d" % (same_text, kept_both)
        if a.time:
            line += "; datatrove %.2f MB/s, llmdata %.1f MB/s (x%.0f)" % (mb / t_dt, mb / t_ll, t_dt / t_ll)
        print(line)
        for i, what, _, _ in diffs:
            print("    doc %d: %s" % (i, what))
    if all(lang is not None for lang in langs):
        worst = min(worst, badwords_by_language(Document, texts, langs, a.show, llmdata))
    return 0 if worst >= 99.0 else 1


def badwords_by_language(Document, texts, langs, show, llmdata):
    """Documents with a "language" field: datatrove's C4BadWordsFilter reads it from the metadata
    (fail_on_missing_language=False: no list -> kept); llmdata gets it from the language filter,
    here fed by a predictor that returns the document's own language with score 1."""
    from datatrove.pipeline.filters.c4_filters import C4BadWordsFilter
    ref_f = C4BadWordsFilter(fail_on_missing_language=False)
    current = {}
    ours_f = llmdata.QualityFilter(filters="language,badwords", language_threshold=0.0,
                                   language_predict=lambda text, k: [(current["lang"], 1.0)])
    agree, diffs, dropped = 0, [], 0
    for i, (t, lang) in enumerate(zip(texts, langs)):
        d = Document(text=t, id=str(i), metadata={"language": lang})
        r = ref_f.filter(d)
        keep = r if not isinstance(r, tuple) else r[0]
        dropped += not keep
        current["lang"] = lang
        o = ours_f.apply(t)
        if bool(keep) == o.keep:
            agree += 1
        elif len(diffs) < show:
            diffs.append("doc %d (%s): datatrove %s, llmdata %s (%s)" % (i, lang, keep, o.keep, o.reason))
    pct = 100.0 * agree / max(1, len(texts))
    print("%-18s keep/drop agreement %6.2f%% (%d/%d; datatrove drops %d; %d languages)" % (
        "badwords (by lang)", pct, agree, len(texts), dropped, len(set(langs))))
    for x in diffs:
        print("    " + x)
    return pct


if __name__ == "__main__":
    sys.exit(main())
