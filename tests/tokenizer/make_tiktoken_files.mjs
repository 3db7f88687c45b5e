// Writes standard .tiktoken rank files ("<base64 token> <rank>" per line, as OpenAI publishes them)
// from the ranks npm tiktoken bundles (encoders/<name>.json, field bpe_ranks: lines of
// "<prefix> <first rank> <base64> <base64> ...", consecutive ranks).
// Usage: node make_tiktoken_files.mjs TIKTOKEN_ENCODERS_DIR OUTDIR
import fs from "node:fs";
import path from "node:path";

const [dir, outDir] = process.argv.slice(2);
for (const name of ["cl100k_base", "o200k_base", "r50k_base", "p50k_base"]) {
  const enc = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8"));
  const lines = [];
  for (const line of enc.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, offset, ...tokens] = line.split(" ");
    let rank = Number(offset);
    for (const t of tokens) lines.push(`${t} ${rank++}`);
  }
  fs.writeFileSync(path.join(outDir, `${name}.tiktoken`), lines.join("\n") + "\n");
  fs.writeFileSync(path.join(outDir, `${name}.special.json`), JSON.stringify(enc.special_tokens));
  console.error(`make_tiktoken_files: ${name}: ${lines.length} ranks`);
}
