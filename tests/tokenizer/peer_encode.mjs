// Expected token ids from the peers, one output line per input document: {"id": ..., "ids": [...]}
//   node peer_encode.mjs --tokenizer FILE.json [--add-special-tokens] --in IN.jsonl --out OUT.jsonl [--field text]
//     Hugging Face tokenizers (the Rust library, npm "tokenizers"): encode(text, null, {addSpecialTokens})
//   node peer_encode.mjs --tiktoken NAME [--allow-special] --in IN.jsonl --out OUT.jsonl
//     npm tiktoken get_encoding(NAME): encode_ordinary (special-token text is ordinary text), or
//     encode(text, "all") with --allow-special
//   --decode: also check decode(ids) == text for every document (prints mismatches, exit 1)
// The id is the document's "id" field, else its 1-based line number.
import fs from "node:fs";
import readline from "node:readline";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const peerDir = new URL("./peer/node_modules/", import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const flag = (name) => args.includes(name);
const field = opt("--field") ?? "text";
const input = opt("--in"), output = opt("--out");
if (!input || !output || (!opt("--tokenizer") && !opt("--tiktoken"))) {
  console.error("usage: peer_encode.mjs (--tokenizer FILE.json [--add-special-tokens] | --tiktoken NAME [--allow-special]) --in IN.jsonl --out OUT.jsonl [--field F] [--decode]");
  process.exit(2);
}

let encode, decode;
if (opt("--tokenizer")) {
  const { Tokenizer } = require(peerDir + "tokenizers");
  const tok = Tokenizer.fromFile(opt("--tokenizer"));
  const addSpecial = flag("--add-special-tokens");
  encode = async (text) => (await tok.encode(text, null, { addSpecialTokens: addSpecial })).getIds();
  decode = async (ids) => tok.decode(ids, false);
} else {
  const { get_encoding } = require(peerDir + "tiktoken");
  const enc = get_encoding(opt("--tiktoken"));
  const allow = flag("--allow-special");
  const td = new TextDecoder();
  encode = async (text) => Array.from(allow ? enc.encode(text, "all") : enc.encode_ordinary(text));
  decode = async (ids) => td.decode(enc.decode(Uint32Array.from(ids)));
}

const out = fs.createWriteStream(output);
const rl = readline.createInterface({ input: fs.createReadStream(input), crlfDelay: Infinity });
let line = 0, bad = 0;
for await (const raw of rl) {
  line++;
  if (!raw.trim()) continue;
  const doc = JSON.parse(raw);
  const text = doc[field];
  const ids = await encode(text);
  if (flag("--decode")) {
    const back = await decode(ids);
    if (back !== text) { bad++; if (bad <= 5) console.error(`decode mismatch at ${doc.id ?? line}`); }
  }
  if (!out.write(JSON.stringify({ id: doc.id ?? line, ids }) + "\n")) await new Promise((r) => out.once("drain", r));
}
out.end();
await new Promise((r) => out.on("finish", r));
if (bad) { console.error(`peer_encode: ${bad} decode mismatches`); process.exit(1); }
