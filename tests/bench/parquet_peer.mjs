// DuckDB's side of tests/bench/parquet_bench.sh: COPY TO (write) and read_parquet (read) on the same
// tables bench_parquet wrote, in the same run.  usage: node parquet_peer.mjs DIR THREADS
// The table is loaded into DuckDB from our uncompressed file first (not timed).  Write = COPY t TO
// with the codec; read = an aggregate that touches every value of every column of OUR file
// (sum over text lengths and numbers; list_sum over the token lists).  Best of 3.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'parquet', 'peer', 'package.json'));
const d = await import(require.resolve('@duckdb/node-api'));
const [dir, threads] = process.argv.slice(2);
const inst = await d.DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`SET threads TO ${Number(threads)}`);
await con.run(`SET preserve_insertion_order TO true`);
const reads = {
  docs: 'SELECT count(*), sum(strlen(text)), sum(id), sum(n_bytes), sum(score)',
  windows: 'SELECT count(*), sum(list_sum(input_ids)), sum(list_sum(cu_seqlens))',
};
const time = async (sql) => {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await con.runAndReadAll(sql);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
};
for (const table of ['docs', 'windows']) {
  await con.run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet('${dir}/${table}_uncompressed.parquet')`);
  const rows = Number((await con.runAndReadAll('SELECT count(*) FROM t')).getRows()[0][0]);
  for (const codec of ['zstd', 'uncompressed']) {
    const out = `${dir}/duckdb_${table}_${codec}.parquet`;
    const tw = await time(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION ${codec})`);
    const tr = await time(`${reads[table]} FROM read_parquet('${dir}/${table}_${codec}.parquet')`);
    console.log(`duckdb ${table} ${codec} threads=${threads} write: ${(rows / tw).toFixed(0)} rows/s, ${tw.toFixed(3)} s (file ${(statSync(out).size / 1e6).toFixed(1)} MB)`);
    console.log(`duckdb ${table} ${codec} threads=${threads} read: ${(rows / tr).toFixed(0)} rows/s, ${tr.toFixed(3)} s`);
  }
}
