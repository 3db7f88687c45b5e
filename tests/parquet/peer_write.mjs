// Writes Parquet files with the peers, for the read <- write checks (tests/parquet/run_peers.sh):
//   node peer_write.mjs DIR
// DuckDB (COPY TO): every codec, PARQUET_VERSION V1 and V2 (V2: DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT, data page v2), a small ROW_GROUP_SIZE so there are many
// row groups, nested types.  parquet-wasm (arrow-rs): dictionary and plain, writer version 1 and 2
// (page v2, the delta fallback encodings), BYTE_STREAM_SPLIT and DELTA encodings forced per column.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'peer', 'package.json'));
const dir = process.argv[2];
mkdirSync(dir, { recursive: true });

// ---- DuckDB ----------------------------------------------------------------------------------
const d = await import(require.resolve('@duckdb/node-api'));
const inst = await d.DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`SET threads TO 1`);
// Every value is a deterministic function of i; NULLs at different rates per column.
await con.run(`CREATE TABLE t AS SELECT
  i::BIGINT AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 250 - 125)::TINYINT END AS i8,
  (i * 37 % 65536 - 32768)::SMALLINT AS i16,
  CASE WHEN i % 3 = 0 THEN NULL ELSE ((i::HUGEINT * 2654435761) % 4294967296 - 2147483648)::INTEGER END AS i32,
  ((i::HUGEINT * 6364136223846793005) % 18446744073709551616 - 9223372036854775808)::BIGINT AS i64,
  (i % 256)::UTINYINT AS u8, (i * 7 % 65536)::USMALLINT AS u16, ((i::HUGEINT * 2654435761) % 4294967296)::UINTEGER AS u32,
  ((i::HUGEINT * 11400714819323198485) % 18446744073709551616)::UBIGINT AS u64,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i / 7.0)::FLOAT END AS f32,
  CASE WHEN i % 13 = 0 THEN NULL WHEN i % 17 = 0 THEN -0.0 ELSE i * 1.000001 - 3000 END::DOUBLE AS f64,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'row ' || i || CASE WHEN i % 3 = 0 THEN ' Grüße 日本' ELSE '' END END AS s,
  CASE WHEN i % 10 < 3 THEN 'low' || (i % 3) ELSE NULL END AS lowcard,
  ('\\x' || lpad(to_hex(i), 6, '0'))::BLOB AS bin,
  (DATE '1970-01-01' + INTERVAL (i * 37 - 50000) DAY)::DATE AS dt,
  (TIME '00:00:00' + INTERVAL (i * 1234567) MICROSECOND) AS tm,
  (TIMESTAMP '2001-02-03 04:05:06.789012' + INTERVAL (i * 987654321) MICROSECOND) AS ts,
  (TIMESTAMP '1999-12-31 23:59:59' + INTERVAL (i * 1000) SECOND)::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '1980-01-01' + INTERVAL (i * 123456789) MICROSECOND)::TIMESTAMP_NS AS ts_ns,
  (TIMESTAMPTZ '2020-06-01 00:00:00+00' + INTERVAL (i * 3600) SECOND) AS tstz,
  CASE WHEN i % 9 = 0 THEN NULL ELSE (i * 1.37 - 500)::DECIMAL(9,2) END AS dec9,
  ((i * 12345.6789) - 1e9)::DECIMAL(18,4) AS dec18,
  (i::HUGEINT * 170141183460469231731687303715884 - 3e37::HUGEINT)::DECIMAL(38,0) AS dec38,
  CASE WHEN i % 6 = 0 THEN NULL ELSE ('00000000-0000-4000-8000-' || lpad(to_hex(i * 7919), 12, '0'))::UUID END AS uid,
  CASE WHEN i % 8 = 0 THEN NULL ELSE [j::INTEGER FOR j IN range(i % 5)] END AS ints,
  [CASE WHEN j % 2 = 0 THEN NULL ELSE 'e' || j END FOR j IN range(i % 4)] AS strs,
  CASE WHEN i % 10 = 0 THEN NULL ELSE {'a': i::INTEGER, 'b': CASE WHEN i % 3 = 0 THEN NULL ELSE 'x' || i END} END AS st,
  CASE WHEN i % 5 = 0 THEN NULL ELSE MAP {'k' || (i % 3): i::INTEGER, 'z': NULL::INTEGER} END AS m,
  [{'x': j::DOUBLE, 'ys': [k::BIGINT FOR k IN range(j)]} FOR j IN range(i % 3)] AS ls
FROM range(5000) r(i)`);
const codecs = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw'];
for (const c of codecs) {
  for (const v of ['V1', 'V2']) {
    const f = path.join(dir, `duckdb_${c}_${v}.parquet`);
    await con.run(`COPY t TO '${f}' (FORMAT parquet, COMPRESSION ${c === 'lz4_raw' ? 'lz4_raw' : c}, PARQUET_VERSION ${v}, ROW_GROUP_SIZE 1000)`);
  }
}
await con.run(`COPY (SELECT * FROM t LIMIT 0) TO '${path.join(dir, 'duckdb_empty.parquet')}' (FORMAT parquet)`);
await con.run(`COPY (SELECT s, lowcard, ints FROM t) TO '${path.join(dir, 'duckdb_dict_small_pages.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 300, DICTIONARY_SIZE_LIMIT 64)`);

// ---- parquet-wasm (arrow-rs) -------------------------------------------------------------------
const pw = await import(require.resolve('parquet-wasm'));
const arrow = await import(require.resolve('apache-arrow'));
const n = 3000;
const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1000003n - 5000000n);
const i32 = Array.from({ length: n }, (_, i) => (i % 6 === 0 ? null : (i * 2654435761) | 0));
const f32 = Float32Array.from({ length: n }, (_, i) => i / 3 - 400);
const f64 = Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : Math.sin(i) * 1e6));
const strs = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `w${i % 50}-${i % 7 === 0 ? 'ünïcödé' : 'ascii'}`));
const uniq = Array.from({ length: n }, (_, i) => `unique string number ${i * 7919} ${'x'.repeat(i % 13)}`);
const flags = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? null : i % 3 === 0));
const lists = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : Array.from({ length: i % 6 }, (_, j) => (j === 2 ? null : i * 10 + j))));
const table = arrow.tableFromArrays({ id: ids, f32 });
const withMore = new arrow.Table({
  id: table.getChild('id'),
  f32: table.getChild('f32'),
  i32: arrow.vectorFromArray(i32, new arrow.Int32()),
  f64: arrow.vectorFromArray(f64, new arrow.Float64()),
  s: arrow.vectorFromArray(strs, new arrow.Utf8()),
  u: arrow.vectorFromArray(uniq, new arrow.Utf8()),
  flag: arrow.vectorFromArray(flags, new arrow.Bool()),
  li: arrow.vectorFromArray(lists, new arrow.List(new arrow.Field('item', new arrow.Int32(), true))),
  ts: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 8 === 0 ? null : 1600000000000 + i * 1234)), new arrow.TimestampMillisecond()),
  dt: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 86400000)), new arrow.DateDay()),
});
const ipc = arrow.tableToIPC(withMore, 'stream');
const variants = [
  ['wasm_v1_dict_snappy', { dict: true, version: pw.WriterVersion.V1, comp: pw.Compression.SNAPPY }],
  ['wasm_v1_plain_none', { dict: false, version: pw.WriterVersion.V1, comp: pw.Compression.UNCOMPRESSED }],
  ['wasm_v2_dict_zstd', { dict: true, version: pw.WriterVersion.V2, comp: pw.Compression.ZSTD }],
  ['wasm_v2_plain_gzip', { dict: false, version: pw.WriterVersion.V2, comp: pw.Compression.GZIP }],
  ['wasm_v2_plain_lz4raw', { dict: false, version: pw.WriterVersion.V2, comp: pw.Compression.LZ4_RAW }],
  ['wasm_v1_forced_encodings', { dict: false, version: pw.WriterVersion.V1, comp: pw.Compression.ZSTD, forced: true }],
  ['wasm_v2_forced_encodings', { dict: false, version: pw.WriterVersion.V2, comp: pw.Compression.SNAPPY, forced: true }],
];
for (const [name, o] of variants) {
  let b = new pw.WriterPropertiesBuilder()
    .setDictionaryEnabled(o.dict).setWriterVersion(o.version).setCompression(o.comp)
    .setMaxRowGroupSize(700).setDataPageSizeLimit(2048).setDictionaryPageSizeLimit(4096);
  if (o.forced) {
    b = b.setColumnEncoding('f32', pw.Encoding.BYTE_STREAM_SPLIT)
      .setColumnEncoding('f64', pw.Encoding.BYTE_STREAM_SPLIT)
      .setColumnEncoding('id', pw.Encoding.DELTA_BINARY_PACKED)
      .setColumnEncoding('i32', pw.Encoding.DELTA_BINARY_PACKED)
      .setColumnEncoding('s', pw.Encoding.DELTA_BYTE_ARRAY)
      .setColumnEncoding('u', pw.Encoding.DELTA_LENGTH_BYTE_ARRAY)
      .setColumnEncoding('flag', pw.Encoding.RLE)
      .setColumnEncoding('li.list.item', pw.Encoding.DELTA_BINARY_PACKED);
  }
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(ipc), b.build());
  writeFileSync(path.join(dir, `${name}.parquet`), bytes);
}
console.log(`peer_write: files in ${dir}`);
