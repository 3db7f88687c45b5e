// Runs SQL statements with DuckDB (@duckdb/node-api) and prints the last one's rows, one JSON array
// per line (BIGINT as JSON numbers when safe, else strings; other values as DuckDB's node API gives
// them, JSON-serialised).  Used by tests/cli/test_parquet_docs.sh to write inputs (COPY ... TO) and
// to read outputs (e.g. SELECT to_json(t) ... or DESCRIBE).
//   node duck_sql.mjs SQL...
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'peer', 'package.json'));
const d = await import(require.resolve('@duckdb/node-api'));
const con = await (await d.DuckDBInstance.create(':memory:')).connect();
const sqls = process.argv.slice(2);
let reader = null;
for (const q of sqls) reader = await con.runAndReadAll(q);
const conv = (v) => {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v === null || typeof v !== 'object') return v;
  return v.toString();
};
if (reader) process.stdout.write(reader.getRows().map((r) => JSON.stringify(r.map(conv)) + '\n').join(''));
