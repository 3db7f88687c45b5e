// Trains small supervised fastText models with the WebAssembly fastText (npm fasttext.wasm) and
// saves them as .bin files (dense input and output matrices), one per loss and n-gram setting, so
// that the dense-model path of llmdata's loader is compared with fastText on models fastText
// itself wrote.  Training data: a JSONL set with "locale" and "text" (make_set.py).
//   node train_peer_models.mjs SET.jsonl OUTDIR
// Writes OUTDIR/<name>.bin for each configuration below and prints their names.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [setPath, outDir] = process.argv.slice(2);
const pkg = join(here, "peer", "node_modules", "fasttext.wasm");
const coreCtor = (await import(pathToFileURL(join(pkg, "dist", "core", "fasttext.mjs")).href)).default;
const core = await coreCtor({ print: () => {}, printErr: () => {} });

const lines = readFileSync(setPath, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l))
  .map((d) => `__label__${d.locale} ${String(d.text).replaceAll("\n", " ")}`);
core.FS.writeFile("/train.txt", lines.join("\n") + "\n");
mkdirSync(outDir, { recursive: true });

const configs = [
  { name: "softmax_ngrams", loss: "softmax", dim: 10, minn: 2, maxn: 4, wordNgrams: 2, bucket: 20011 },
  { name: "hs_words", loss: "hs", dim: 8, minn: 0, maxn: 0, wordNgrams: 1, bucket: 0 },
  { name: "hs_subwords", loss: "hs", dim: 16, minn: 1, maxn: 5, wordNgrams: 3, bucket: 50000 },
  { name: "ova_subwords", loss: "ova", dim: 12, minn: 3, maxn: 6, wordNgrams: 1, bucket: 30000 },
  { name: "ns_bigrams", loss: "ns", dim: 6, minn: 2, maxn: 3, wordNgrams: 2, bucket: 7919 },
];
for (const c of configs) {
  const a = new core.Args();
  a.input = "/train.txt";
  a.output = "/model";
  a.model = core.ModelName.supervised;
  a.loss = core.LossName[c.loss];
  a.dim = c.dim;
  a.minn = c.minn;
  a.maxn = c.maxn;
  a.wordNgrams = c.wordNgrams;
  a.bucket = c.bucket;
  a.epoch = 5;
  a.lr = 0.5;
  a.minCount = 1;
  a.thread = 1;
  a.verbose = 0;
  a.seed = 1;
  const ft = new core.FastText();
  ft.train(a, () => {});
  ft.saveModel(`/${c.name}.bin`);
  writeFileSync(join(outDir, `${c.name}.bin`), core.FS.readFile(`/${c.name}.bin`));
  core.FS.unlink(`/${c.name}.bin`);
  ft.delete();
  a.delete();
  console.log(c.name);
}
