// Peer tokenizer throughput on a JSONL corpus (load time excluded), one line per measurement:
//   peer <name> <engine> 1-thread: X MB/s
// HF tokenizers (npm "tokenizers", the Rust library) is measured with encodeBatch over the whole
// corpus — set RAYON_NUM_THREADS=1 for one thread — and npm tiktoken (WASM) with encode_ordinary.
// usage: node tokenizer_peer.mjs CORPUS.jsonl HF:NAME:FILE.json... TT:NAME:ENCODING...
import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const peer = new URL("../tokenizer/peer/node_modules/", import.meta.url).pathname;
const [corpus, ...specs] = process.argv.slice(2);
const texts = fs.readFileSync(corpus, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).text);
const mb = texts.reduce((s, t) => s + Buffer.byteLength(t), 0) / 1e6;

for (const spec of specs) {
  const [kind, name, arg] = spec.split(":");
  let run;
  if (kind === "HF") {
    const { Tokenizer } = require(peer + "tokenizers");
    const tok = Tokenizer.fromFile(arg);
    run = async () => { await tok.encodeBatch(texts, { addSpecialTokens: false }); };
  } else {
    const { get_encoding } = require(peer + "tiktoken");
    const enc = get_encoding(arg);
    run = async () => { for (const t of texts) enc.encode_ordinary(t); };
  }
  const t0 = process.hrtime.bigint();
  await run();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`peer ${name} ${kind === "HF" ? "hf-tokenizers" : "tiktoken"} 1-thread: ${(mb / secs).toFixed(2)} MB/s (${mb.toFixed(1)} MB in ${secs.toFixed(2)} s)`);
}
