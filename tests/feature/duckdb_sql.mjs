// Runs SQL statements in DuckDB (the Parquet peer, @duckdb/node-api from tests/parquet/peer) and
// prints the last statement's rows as JSON lines -- the feature tests' independent Parquet writer
// and reader:   node duckdb_sql.mjs "SQL" ["SQL" ...]
// BIGINTs are printed as numbers when they fit a double exactly, else as strings.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'parquet', 'peer', 'package.json'));
const d = await import(require.resolve('@duckdb/node-api'));
const inst = await d.DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`SET threads TO 1`);
const sql = process.argv.slice(2);
for (let i = 0; i + 1 < sql.length; i++) await con.run(sql[i]);
const reader = await con.runAndReadAll(sql[sql.length - 1]);
const big = (k, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v);
for (const row of reader.getRowObjectsJS())
  process.stdout.write(JSON.stringify(row, big) + '\n');
