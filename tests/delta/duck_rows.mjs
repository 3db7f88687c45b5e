// Prints a Parquet file's rows as JSON objects {column: value}, read by DuckDB (@duckdb/node-api,
// the npm peer of the Parquet tests): structs as objects, maps as objects, lists as arrays.
//   node duck_rows.mjs FILE.parquet
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'parquet', 'peer', 'package.json'));
const d = await import(require.resolve('@duckdb/node-api'));
const con = await (await d.DuckDBInstance.create(':memory:')).connect();
const file = process.argv[2].replaceAll("'", "''");
const reader = await con.runAndReadAll(`SELECT to_json(t)::VARCHAR AS j FROM read_parquet('${file}') t`);
for (const row of reader.getRows()) process.stdout.write(row[0] + '\n');
