// Builds small tokenizer.json files that exercise every component libllmdata implements, and the
// expected ids / offsets / decoded text for a set of texts, from Hugging Face's Rust `tokenizers`
// (npm `tokenizers`, the peer).  Output (committed, re-runnable):
//   tests/data/tokenizer/<name>.json   the tokenizer files
//   tests/data/tokenizer/cases.jsonl   {"tokenizer", "text", "add_special", "ids", "decoded", "decoded_skip"}
// usage: node tests/tokenizer/make_component_cases.mjs
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);
const { Tokenizer } = require(path.join(here, "peer/node_modules/tokenizers"));
const outDir = path.join(here, "../data/tokenizer");
fs.mkdirSync(outDir, { recursive: true });

// ---- a tiny deterministic BPE trainer (pair counts over words, ties broken by the pair) -------
function train(words, symbolsOf, joinPair, nMerges, baseVocab) {
  const vocab = new Map(baseVocab.map((t, i) => [t, i]));
  const merges = [];
  let seqs = words.map((w) => symbolsOf(w));
  for (let m = 0; m < nMerges; m++) {
    const counts = new Map();
    for (const s of seqs) for (let i = 0; i + 1 < s.length; i++) {
      const k = s[i] + "\u0000" + s[i + 1];
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    let best = null, bestN = 0;
    for (const [k, n] of counts) if (n > bestN || (n === bestN && k < best)) { best = k; bestN = n; }
    if (!best || bestN < 2) break;
    const [a, b] = best.split("\u0000");
    const merged = joinPair(a, b);
    merges.push([a, b]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    seqs = seqs.map((s) => {
      const o = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { o.push(merged); i++; } else o.push(s[i]);
      }
      return o;
    });
  }
  return { vocab: Object.fromEntries(vocab), merges };
}

const corpus = `The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!
Hello world, hello tokenizers: 12345 apples and 678 oranges cost $9.99 in 2024.
naïve café résumé — Grüße aus Köln. Ελληνικά κείμενα. Привет, мир! 東京は晴れ。
The the THE tHe; it's, we're, they'll, I'd, you've. email me at someone@example.com
def f(x): return x**2  # python code\n\tindented line\r\nwindows line`;
const words = corpus.split(/\s+/).filter(Boolean);

// GPT-2 byte-level alphabet
const bs = [];
for (let b = 33; b <= 126; b++) bs.push(b);
for (let b = 161; b <= 172; b++) bs.push(b);
for (let b = 174; b <= 255; b++) bs.push(b);
const byteChar = new Array(256);
let extra = 0;
for (let b = 0; b < 256; b++) byteChar[b] = bs.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
const toByteLevel = (s) => Array.from(Buffer.from(s, "utf8")).map((b) => byteChar[b]).join("");

const files = {};

// A: byte-level with a rich normalizer and pre-tokenizer chain, added tokens of every kind
{
  const base = byteChar.slice();
  const t = train(words.map((w) => toByteLevel(" " + w)), (w) => Array.from(w), (a, b) => a + b, 300, base);
  files.bytelevel_rich = {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [
      { id: 0, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 0, content: "</s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 0, content: "[MASK]", single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
      { id: 0, content: "hello", single_word: true, lstrip: false, rstrip: false, normalized: true, special: false },
      { id: 0, content: "Köln", single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
    ],
    normalizer: { type: "Sequence", normalizers: [
      { type: "NFKC" }, { type: "Lowercase" },
      { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
      { type: "Strip", strip_left: true, strip_right: true } ] },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Digits", individual_digits: true },
      { type: "Split", pattern: { String: "," }, behavior: "MergedWithPrevious", invert: false },
      { type: "Punctuation", behavior: "Isolated" },
      { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true } ] },
    post_processor: { type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: {} },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: t.vocab, merges: t.merges.map(([a, b]) => a + " " + b) },
  };
  // added tokens not in the vocabulary get the next ids, in order
  const v = Object.keys(t.vocab).length;
  files.bytelevel_rich.added_tokens.forEach((a, i) => { a.id = v + i; });
  files.bytelevel_rich.post_processor.special_tokens = {
    "<s>": { id: "<s>", ids: [v], tokens: ["<s>"] }, "</s>": { id: "</s>", ids: [v + 1], tokens: ["</s>"] } };
}

// B: SentencePiece style: Metaspace, byte_fallback, unk, decoders chain, Bert-like post-processor
{
  const chars = new Set();
  for (const w of words) for (const c of "▁" + w) chars.add(c);
  const base = ["<unk>", "<s>", "</s>"];
  for (let b = 0; b < 256; b++) base.push("<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">");
  for (const c of [...chars].sort()) if (!/[Ελληνικάκείμ]/u.test(c)) base.push(c); // leave Greek out: byte fallback
  const t = train(words.map((w) => "▁" + w), (w) => Array.from(w).filter((c) => base.includes(c)), (a, b) => a + b, 250, base);
  files.metaspace_fallback = {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [
      { id: 0, content: "<unk>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: "</s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: { type: "NFD" },
    pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: true },
    post_processor: { type: "BertProcessing", sep: ["</s>", 2], cls: ["<s>", 1] },
    decoder: { type: "Sequence", decoders: [
      { type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" },
      { type: "Strip", content: " ", start: 1, stop: 0 } ] },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: t.vocab, merges: t.merges },
  };
  // B2: same model, Metaspace without split, prepend always; Prepend+Replace normalizer like Llama-2
  files.metaspace_nosplit = JSON.parse(JSON.stringify(files.metaspace_fallback));
  files.metaspace_nosplit.normalizer = { type: "Sequence", normalizers: [
    { type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" } ] };
  files.metaspace_nosplit.pre_tokenizer = null;
  files.metaspace_nosplit.model.fuse_unk = false;
  files.metaspace_nosplit.decoder = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true };
  files.metaspace_nosplit.post_processor = { type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } } };
}

// C: word-level pre-tokenizers, subword prefix and end-of-word suffix, unk without fusing
{
  const chars = new Set();
  for (const w of words) for (const c of w) chars.add(c);
  const base = ["[UNK]"];
  for (const c of [...chars].sort()) { if (/[0-9]/.test(c)) continue; base.push(c); base.push("##" + c); base.push(c + "</w>"); base.push("##" + c + "</w>"); }
  const sym = (w) => Array.from(w).filter((c) => !/[0-9]/.test(c)).map((c, i, a) => (i ? "##" : "") + c + (i === a.length - 1 ? "</w>" : ""));
  const join = (a, b) => a + b.slice(2);
  const t = train(words.map((w) => w.replace(/[^\p{L}]/gu, "")).filter(Boolean), sym, join, 200, base);
  files.subword_affixes = {
    version: "1.0", truncation: null, padding: null, added_tokens: [
      { id: 0, content: "[UNK]", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true } ],
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "WhitespaceSplit" },
      { type: "Split", pattern: { Regex: "[-@.]" }, behavior: "MergedWithNext", invert: false },
      { type: "Whitespace" } ] },
    post_processor: null,
    decoder: null,
    model: { type: "BPE", dropout: null, unk_token: "[UNK]", continuing_subword_prefix: "##", end_of_word_suffix: "</w>",
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: t.vocab, merges: t.merges.map(([a, b]) => a + " " + b) },
  };
  // C2: Split behaviors and invert on a byte-level model (no ByteLevel regex)
  const s = JSON.parse(JSON.stringify(files.bytelevel_rich));
  s.normalizer = null;
  s.added_tokens = s.added_tokens.slice(0, 2);
  s.pre_tokenizer = { type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { Regex: "\\d+" }, behavior: "Contiguous", invert: false },
    { type: "Split", pattern: { Regex: "[aeiou]" }, behavior: "Removed", invert: true },
    { type: "Split", pattern: { String: "th" }, behavior: "MergedWithNext", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false } ] };
  s.model.ignore_merges = true;
  files.split_behaviors = s;
}

// D: CLIP-style: suffix "</w>" on a byte-level model (so ByteLevel really maps characters),
//    Split with invert + Removed, StripAccents, BPEDecoder
{
  const base = byteChar.slice().concat(byteChar.map((c) => c + "</w>"));
  const sym = (w) => { const a = Array.from(toByteLevel(w)); a[a.length - 1] += "</w>"; return a; };
  const t = train(words.map((w) => w.toLowerCase()), sym, (a, b) => a + b, 300, base);
  files.clip_like = {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [
      { id: 0, content: "<|startoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
      { id: 0, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true } ],
    normalizer: { type: "Sequence", normalizers: [
      { type: "NFD" }, { type: "StripAccents" }, { type: "NFC" },
      { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }, { type: "Lowercase" } ] },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
        behavior: "Removed", invert: true },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false } ] },
    post_processor: { type: "RobertaProcessing", sep: ["<|endoftext|>", 0], cls: ["<|startoftext|>", 0],
      trim_offsets: false, add_prefix_space: false },
    decoder: { type: "BPEDecoder", suffix: "</w>" },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "</w>",
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: t.vocab, merges: t.merges.map(([a, b]) => a + " " + b) },
  };
  const v = Object.keys(t.vocab).length;
  files.clip_like.added_tokens.forEach((a, i) => { a.id = v + i; });
  files.clip_like.post_processor.cls[1] = v;
  files.clip_like.post_processor.sep[1] = v + 1;
}

// E: BLOOM's nested character class regex; CharDelimiterSplit and BertPreTokenizer on the
//    subword model
{
  const b = JSON.parse(JSON.stringify(files.bytelevel_rich));
  b.normalizer = null;
  b.pre_tokenizer = { type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { Regex: " ?[^(\\s|[.,!?…。，、।۔،])]+" }, behavior: "Isolated", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false } ] };
  files.bloom_like = b;
  const w = JSON.parse(JSON.stringify(files.subword_affixes));
  w.normalizer = { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "StripAccents" }, { type: "Lowercase" }] };
  w.pre_tokenizer = { type: "Sequence", pretokenizers: [
    { type: "CharDelimiterSplit", delimiter: "-" }, { type: "BertPreTokenizer" } ] };
  files.bert_pretok = w;
}

// F: each normalizer ALONE on the byte-level model of A (a chain can hide one normalizer doing the
//    work of another: NFC implemented as NFD passed while NFC only ran after NFD).  Their cases add
//    normTexts (decomposed and compatibility characters) to the shared texts.
const soloNormalizers = {
  norm_nfc: { type: "NFC" }, norm_nfd: { type: "NFD" }, norm_nfkc: { type: "NFKC" }, norm_nfkd: { type: "NFKD" },
  norm_lowercase: { type: "Lowercase" },
  norm_strip: { type: "Strip", strip_left: true, strip_right: true },
  norm_strip_left: { type: "Strip", strip_left: true, strip_right: false },
  norm_replace: { type: "Replace", pattern: { String: "o" }, content: "0" },
  norm_replace_regex: { type: "Replace", pattern: { Regex: "[aeiou]+" }, content: "_" },
  norm_prepend: { type: "Prepend", prepend: "\u2581" },
};
for (const [name, normalizer] of Object.entries(soloNormalizers)) {
  const f = JSON.parse(JSON.stringify(files.bytelevel_rich));
  f.normalizer = normalizer;
  files[name] = f;
}
const normTexts = [
  "Cafe\u0301 Ko\u0308ln na\u0131\u0308ve", "caf\u00e9 K\u00f6ln", "\u212b ohm \u2126 A\u030a \u00c5",
  "\ufb01 ligature \u00b2 x\u00b3 \u00bd \u2460", "\uff28\uff45\uff4c\uff4c\uff4f", "\u1e9b\u0323 s\u0323\u0307",
  "\u1100\u1161\u11a8 \uac01", "  padded both  ", "\t\n tabs \n\t", "HELLO Hello hello \u0130I\u03a3",
  "ooo foo boo", "\u2581already",
];

const texts = [
  "", " ", "hello", "Hello world, hello tokenizers!", "The quick brown fox jumps over the lazy dog.",
  "  leading and trailing spaces  ", "numbers 12345 and 3.14159, 2024-01-01", "naïve café résumé Grüße aus Köln",
  "Ελληνικά κείμενα και Привет, мир!", "東京は晴れ。日本語のテキスト", "emoji 👩‍👩‍👧‍👦 🇫🇷 ok",
  "tab\there\nnewline\r\nCRLF", "<s>inside</s> special [MASK] tokens", "a [MASK]  b", "hellohello hello_x xhello hello",
  "it's we're they'll I'd you've", "someone@example.com well-known.dot", "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ ①②③",
  "İstanbul ΣΊΣΥΦΟΣ straße", "x".repeat(300), "combining e\u0301 and a\u0308", "nbsp\u00a0and\u2003em space\u3000ideo",
  "the then thethe THE", "Köln köln KÖLN", ",,,a,b,,", "digits ٠١٢ ४५६",
];

const cases = [];
for (const [name, json] of Object.entries(files)) {
  const file = path.join(outDir, name + ".json");
  fs.writeFileSync(file, JSON.stringify(json));
  const tok = Tokenizer.fromFile(file);
  for (const text of name.startsWith("norm_") ? texts.concat(normTexts) : texts)
    for (const add of [false, true]) {
      const enc = await tok.encode(text, null, { addSpecialTokens: add });
      const ids = enc.getIds();
      const decoded = await tok.decode(ids, false);
      const decodedSkip = await tok.decode(ids, true);
      cases.push({ tokenizer: name, text, add_special: add, ids, decoded, decoded_skip: decodedSkip });
    }
}
fs.writeFileSync(path.join(outDir, "cases.jsonl"), cases.map((c) => JSON.stringify(c)).join("\n") + "\n");
console.log(`wrote ${Object.keys(files).length} tokenizers, ${cases.length} cases to ${outDir}`);
