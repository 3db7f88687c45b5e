// Reads Parquet training shards (data-00000.parquet, ...) with DuckDB (@duckdb/node-api, DuckDB's C++
// reader) and prints one JSON line per window, in file then row order:
//   {"input_ids":[...],"cu_seqlens":[...],"document_ids":[...],"document_offsets":[...]}
// and, on stderr, DuckDB's column types ("input_ids:INTEGER[] ...").
//   node duck_shards.mjs FILE...
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'peer', 'package.json'));
const files = process.argv.slice(2);
if (files.length === 0) { console.error('usage: node duck_shards.mjs FILE...'); process.exit(2); }
const d = await import(require.resolve('@duckdb/node-api'));
const con = await (await d.DuckDBInstance.create(':memory:')).connect();
const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(',');
// filename + file_row_number give the order independent of DuckDB's parallel scan
const reader = await con.runAndReadAll(
  `SELECT input_ids, cu_seqlens, document_ids, document_offsets, filename, file_row_number
   FROM read_parquet([${list}], filename = true, file_row_number = true, hive_partitioning = false)`);
const types = reader.columnTypes().slice(0, 4).map((t) => t.toString());
console.error(['input_ids', 'cu_seqlens', 'document_ids', 'document_offsets'].map((n, i) => `${n}:${types[i]}`).join(' '));
const order = new Map(files.map((f, i) => [f, i]));
const rows = reader.getRows().map((r) => ({ r, f: order.get(r[4]), n: Number(r[5]) }));
rows.sort((a, b) => a.f - b.f || a.n - b.n);
const num = (x) => (typeof x === 'bigint' ? x.toString() : String(x));
const arr = (v) => '[' + v.items.map(num).join(',') + ']';
const out = [];
for (const { r } of rows)
  out.push(`{"input_ids":${arr(r[0])},"cu_seqlens":${arr(r[1])},"document_ids":${arr(r[2])},"document_offsets":${arr(r[3])}}\n`);
process.stdout.write(out.join(''));
